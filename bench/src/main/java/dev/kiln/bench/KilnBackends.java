package dev.kiln.bench;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/** The Kiln backends the bench knows, by the name given to {@code --backend}. One line per backend. */
public final class KilnBackends {
  private KilnBackends() {}

  /**
   * A registered backend.
   *
   * @param threaded whether its kernels run on {@code dev.kiln.runtime.kernels.Threads}, so that the bench's
   *     thread count applies to it; when false the report says Kiln used every core in each row
   * @param fixedThreads when positive, the backend always runs on exactly this many threads whatever the bench's
   *     thread count (the LLVM backend's native code is single-threaded today); 0 otherwise
   */
  public record Entry(String name, KilnBackend backend, boolean threaded, int fixedThreads) {}

  private static final SequencedMap<String, Entry> ALL = new LinkedHashMap<>();

  private static void add(String name, KilnBackend backend, boolean threaded) { add(name, backend, threaded, 0); }

  private static void add(String name, KilnBackend backend, boolean threaded, int fixedThreads) {
    ALL.put(name, new Entry(name, backend, threaded, fixedThreads));
  }

  static {
    // The reference interpreter: the oracle, not fast. Its kernels still use their own all-core pool (interp.Parallel).
    add("interp", (g, w) -> new Interpreter(g, w)::run, false);
    // Kernel IR emitted as one JVM class per model (codegen-jvm); its kernels run on runtime.kernels.Threads.
    add("jvm", (g, w) -> KilnTarget.direct(JvmBackend.compile(g, w, JvmOptions.defaults()).instantiate(w)), true);
    // Kernel IR to LLVM IR, JIT-compiled at O3 for the host CPU (codegen-llvm); its native code splits over
    // runtime.kernels.Threads.threads() threads (nativelib.NativeThreads).
    add("llvm", KilnBackends::llvm, true);
  }

  /** The LLVM backend's JIT path; closing the compiled model frees its machine code. */
  private static KilnBackend.Compiled llvm(dev.kiln.ir.Graph g, java.util.Map<String, dev.kiln.runtime.Tensor> w) {
    LlvmCompiled c = LlvmBackend.compile(g, w, LlvmOptions.defaults());
    CompiledModel model = c.instantiate(w);
    return new KilnBackend.Compiled() {
      @Override public List<Object> run(List<Object> inputs) { return model.run(inputs); }

      @Override public String describe() { return c.report(); }

      @Override public void close() { c.close(); }
    };
  }

  /** The registered names, in registration order. */
  public static List<String> names() { return List.copyOf(ALL.keySet()); }

  /**
   * @param name a backend name such as {@code "interp"}, not null
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  public static Entry get(String name) {
    Entry e = ALL.get(name);
    if (e == null) throw new IllegalArgumentException("unknown Kiln backend '" + name + "'; known: " + String.join(", ", ALL.keySet()));
    return e;
  }
}
