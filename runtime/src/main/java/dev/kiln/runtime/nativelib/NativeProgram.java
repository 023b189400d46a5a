package dev.kiln.runtime.nativelib;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A {@link NativePlan} linked to its machine code: one downcall handle per native segment. The LLVM backend's JIT
 * links it to addresses in its ORC JIT; an llvm artifact to the symbols of its shared library ({@link NativeLibrary}).
 * Both then run through the same {@link NativeExecutor}. Thread-safe; {@link #instantiate} makes independent
 * instances.
 */
public final class NativeProgram {
  /** Every segment is {@code void symbol(ptr table, i32 tid, i32 nthreads)}. */
  public static final FunctionDescriptor SEGMENT = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT);

  private final NativePlan plan;
  private final Map<String, MethodHandle> segments;
  private final Object owner;

  private NativeProgram(NativePlan plan, Map<String, MethodHandle> segments, Object owner) {
    this.plan = plan;
    this.segments = Map.copyOf(segments);
    this.owner = owner;
  }

  /**
   * Looks up every segment symbol of {@code plan}.
   *
   * @param symbols the address of an exported symbol, or empty when there is none
   * @param owner what keeps the code mapped (a {@link NativeLibrary}); held as long as this program and its instances
   *     are reachable; may be null when the caller owns the code (the JIT)
   * @throws IllegalArgumentException naming every symbol the code does not export
   */
  @SuppressWarnings("restricted") // calling native code is the point; the JVM runs with --enable-native-access
  public static NativeProgram link(NativePlan plan, Function<String, Optional<MemorySegment>> symbols, Object owner) {
    Map<String, MethodHandle> handles = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String s : plan.symbols()) {
      Optional<MemorySegment> at = symbols.apply(s);
      if (at.isEmpty()) missing.add(s);
      else handles.put(s, Linker.nativeLinker().downcallHandle(at.get(), SEGMENT));
    }
    if (!missing.isEmpty()) throw new IllegalArgumentException("the native code exports no function " + String.join(", ", missing)
        + " that the plan of @" + plan.program().name() + " calls");
    return new NativeProgram(plan, handles, owner);
  }

  public NativePlan plan() { return plan; }

  MethodHandle segment(String symbol) { return segments.get(symbol); }

  /** The code's owner given to {@link #link} (kept reachable by instances). */
  Object owner() { return owner; }

  /**
   * A runnable instance with its own off-heap buffers; weights are copied in once and the init steps run here.
   * Instances are not thread-safe ({@code isThreadSafe()} false, so {@code KilnModel} pools them).
   *
   * @param weights by name, not null; must hold every weight the plan's buffers name
   * @throws IllegalArgumentException naming a missing weight or one of the wrong size
   */
  public CompiledModel instantiate(Map<String, Tensor> weights) { return new NativeExecutor(this, weights, 0); }

  /**
   * As {@link #instantiate(Map)} with a fixed thread count per run (results are the same bits for any count).
   *
   * @param threads at least 1; 0 follows the runtime's {@code dev.kiln.runtime.kernels.Threads.threads()} at each run
   */
  public CompiledModel instantiate(Map<String, Tensor> weights, int threads) { return new NativeExecutor(this, weights, threads); }
}
