package dev.kiln.runtime.nativelib;

import dev.kiln.ir.DType;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.nativelib.NativePlan.Step;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One instance of a {@link NativeProgram}: every storage buffer is an off-heap, 64-byte aligned segment allocated
 * once (weights copied in once, consts filled by the init steps), plus one workspace and the pointer table the native
 * segments read (layout in {@link NativePlan}). {@code run} copies the inputs in, runs the steps in order (native
 * segments by one downcall each, JVM-fallback kernels with {@link JavaKernelRunner}, reference calls with the
 * interpreter on tensors over the native buffers), and copies the outputs out into fresh tensors. Temps are
 * allocated zeroed once per instance, not per run: every kernel fully writes its outputs. Memory is freed when the
 * instance becomes unreachable (automatic arena). A batch-split plan ({@link NativePlan#batch} not 1) runs its steps
 * once per sample instead ({@link SampleLoop}, on this instance and, with several threads, on sibling lanes).
 *
 * <p>Threads: a native segment whose split work ({@link NativePlan.Step.Native#work}) is at least
 * {@link #MIN_FORK_WORK} runs on a gang of {@link NativeThreads} (this instance's thread count, else the runtime's
 * {@code Threads.threads()}), each thread calling the segment with its own pointer table (own workspace, shared
 * storages and sync area); smaller ones run on the caller alone as thread 0 of 1. Results are the same bits
 * whatever the thread count (the generated code never splits a reduction).
 *
 * <p>Not thread-safe ({@link #isThreadSafe()} false: {@code KilnModel} pools instances); {@code run} is synchronized
 * for callers that share one anyway.
 */
final class NativeExecutor implements CompiledModel {
  private final NativeProgram code;
  private final KernelProgram p;
  private final Map<String, MemorySegment> segments = new HashMap<>();
  private final Map<String, Object> objects = new HashMap<>();
  private final Interpreter[] references;
  private final Int8Step[] int8;
  /**
   * Segments with less split work than this run on the calling thread alone (a fork and join costs microseconds); the
   * system property {@code kiln.native.minForkWork}, read when an instance is made, overrides it (tests use 0).
   */
  static final long MIN_FORK_WORK = 1 << 24;

  private final long minForkWork = Long.getLong("kiln.native.minForkWork", MIN_FORK_WORK);

  private final Arena arena = Arena.ofAuto();
  private final MemorySegment table;
  /** Per-thread pointer tables; [0] is {@link #table}. Grown when a run has more threads. */
  private final List<MemorySegment> tables = new ArrayList<>();
  private final int threads;
  /** Kept for the sample-parallel lanes of a batch split ({@link #lane}). */
  private final Map<String, Tensor> weights;

  /** @param threads threads per run, or 0 for the runtime's {@code Threads.threads()} at each run */
  NativeExecutor(NativeProgram code, Map<String, Tensor> weights, int threads) {
    if (threads < 0) throw new IllegalArgumentException("threads must be at least 1 (or 0 for the runtime's), got " + threads);
    this.code = code;
    this.threads = threads;
    this.weights = weights;
    NativePlan plan = code.plan();
    this.p = plan.program();
    List<String> storages = plan.storages();
    table = arena.allocate(ValueLayout.ADDRESS, storages.size() + 2);
    long[] bytes = new long[storages.size() + 2]; // one block: workspace, storages in table order, sync area
    bytes[0] = plan.workspaceBytes();
    for (int i = 0; i < storages.size(); i++) bytes[i + 1] = p.buffer(storages.get(i)).numel() * NativePlan.elementBytes(p.buffer(storages.get(i)).type());
    bytes[storages.size() + 1] = NativePlan.SYNC_BYTES;
    NativeSlab.Carved carved = NativeSlab.carve(arena, bytes); // huge pages when the OS grants them
    table.setAtIndex(ValueLayout.ADDRESS, 0, carved.buffers()[0]);
    table.setAtIndex(ValueLayout.ADDRESS, storages.size() + 1, carved.buffers()[storages.size() + 1]);
    tables.add(table);
    for (int i = 0; i < storages.size(); i++) {
      KBuffer b = p.buffer(storages.get(i));
      MemorySegment s = carved.buffers()[i + 1];
      if (b.role() == KBuffer.Role.WEIGHT) {
        Tensor w = weights.get(b.source());
        if (w == null) throw new IllegalArgumentException("missing weight \"" + b.source() + "\" for buffer %" + b.name());
        copyIn(w, b, s, "weight \"" + b.source() + "\"");
      }
      segments.put(b.name(), s);
      table.setAtIndex(ValueLayout.ADDRESS, i + 1, s);
    }
    references = new Interpreter[p.references().size()];
    for (int i = 0; i < references.length; i++)
      references[i] = new Interpreter(IrParser.parse(p.references().get(i), p.name() + " reference #" + i), weights);
    int8 = new Int8Step[references.length]; // reference calls on the native int8 GEMM
    Map<String, Int8Step> sameGraph = direct ? new HashMap<>() : null; // Int8Step.shared: LSTM steps share one packed weight
    for (Step s : java.util.stream.Stream.concat(plan.init().stream(), plan.run().stream()).toList())
      if (s instanceof Step.Reference r && r.int8() != null && int8[r.call().ref()] == null)
        int8[r.call().ref()] = Int8Step.shared(sameGraph, r.int8(), p.references().get(r.call().ref()), weights, code.segment(r.int8()), arena,
            "@" + p.name() + " reference #" + r.call().ref());
    execute(plan.init());
  }

  @Override public boolean isThreadSafe() { return false; }

  @Override
  public synchronized List<Object> run(List<Object> inputs) {
    if (code.plan().batch() != 1) return SampleLoop.run(this, inputs); // a batch-split plan: the run steps once per sample
    for (String in : p.inputs()) {
      KBuffer b = p.buffer(in);
      Object v = inputs.get(Integer.parseInt(b.source()));
      if (b.type() == KType.OBJ) objects.put(b.name(), v);
      else copyIn((Tensor) v, b, segments.get(p.storageOf(in).name()), "input " + b.source());
    }
    execute(code.plan().run());
    List<Object> out = new ArrayList<>();
    for (String o : p.outputs()) out.add(value(o, true));
    return out;
  }

  private void execute(List<Step> steps) {
    for (Step s : steps) {
      switch (s) {
        case Step.Native n -> {
          try {
            java.lang.invoke.MethodHandle h = code.segment(n.symbol());
            int want = want();
            if (want <= 1 || n.work() < minForkWork) h.invokeExact(table, 0, 1);
            else {
              ensureTables(want);
              NativeThreads.run(want, (tid, count) -> {
                h.invokeExact(tables.get(tid), tid, count);
              });
            }
          } catch (Throwable t) {
            throw new KilnRuntimeException("native segment " + n.symbol() + " of @" + p.name() + " failed: " + t, t);
          }
        }
        case Step.Java j -> new JavaKernelRunner(p, j.kernel()).run(segments::get);
        case Step.Reference r -> reference(r);
      }
    }
  }

  /** Runs the int8 GEMM on the caller, or on a gang when it is big enough (the rule for segments). */
  private void gang(java.lang.invoke.MethodHandle h, MemorySegment args, long work) throws Throwable {
    int want = want();
    if (want <= 1 || work < minForkWork) h.invokeExact(args, 0, 1);
    else NativeThreads.run(want, (tid, count) -> {
      h.invokeExact(args, tid, count);
    });
  }

  /** Threads per step: 1 while a lane of a sample-parallel batch split, else this instance's count or the runtime's. */
  int want() { return single ? 1 : threads > 0 ? threads : dev.kiln.runtime.kernels.Threads.threads(); }

  /** While true, steps run on the calling thread alone ({@link SampleLoop}: each sample on one thread). */
  private boolean single;

  /** Extra instances for sample-parallel batch splits, made on first use; lane 0 is this instance. */
  private final List<NativeExecutor> lanes = new ArrayList<>();

  /** This plan's code. */
  NativeProgram code() { return code; }

  /** Split work below which a segment runs on one thread ({@link #MIN_FORK_WORK} or its property). */
  long minForkWork() { return minForkWork; }

  /** The storage segment of a storage buffer's name. */
  MemorySegment storage(String name) { return segments.get(name); }

  /** Runs the run steps once, on the calling thread alone when {@code alone} (a lane of a sample-parallel split). */
  void runSteps(boolean alone) {
    boolean was = single;
    single = alone;
    try {
      execute(code.plan().run());
    } finally {
      single = was;
    }
  }

  /** Lane {@code i} of a sample-parallel split: this instance for 0, else a sibling with its own buffers (and weights). */
  NativeExecutor lane(int i) {
    if (i == 0) return this;
    while (lanes.size() < i) lanes.add(new NativeExecutor(code, weights, 1));
    return lanes.get(i - 1);
  }

  /** Tables for threads 1..n-1: the shared entries of {@link #table} with a workspace of their own. */
  private void ensureTables(int n) {
    long slots = table.byteSize() / ValueLayout.ADDRESS.byteSize();
    while (tables.size() < n) {
      MemorySegment t = arena.allocate(ValueLayout.ADDRESS, slots);
      MemorySegment.copy(table, 0, t, 0, table.byteSize());
      t.setAtIndex(ValueLayout.ADDRESS, 0, NativeSlab.carve(arena, new long[] {code.plan().workspaceBytes()}).buffers()[0]);
      tables.add(t);
    }
  }

  /**
   * A reference step: bound once to the storages when it can be ({@link #bind}: an int8 node as one downcall, a
   * stack as copies, a reshape of an object as {@link ObjectReshape}), else the general path.
   */
  private void reference(Step.Reference step) {
    Object f = bound.get(step);
    if (f == null) bound.put(step, f = bind(step));
    if (f instanceof Int8Direct d) d.run(want(), minForkWork);
    else if (f instanceof CopyStep c) c.run();
    else if (f instanceof ObjectReshape v) v.run(objects);
    else reference(step.call());
  }

  /**
   * Steps bound to this instance's storages, made on a step's first run; {@link #GENERAL} for the ones that take the
   * general path. {@code -Dkiln.native.int8Direct=false} (read per instance) binds none and shares no int8 node
   * ({@link Int8Step#shared}): every reference step then goes through tensors and copies as before (the A/B switch of
   * the bench).
   */
  private final Map<Step.Reference, Object> bound = new java.util.IdentityHashMap<>();
  private static final Object GENERAL = new Object();
  private final boolean direct = !"false".equals(System.getProperty("kiln.native.int8Direct"));

  private Object bind(Step.Reference step) {
    Stmt.CallReference r = step.call();
    if (!direct || r.outputs().size() != 1) return GENERAL;
    boolean q8 = int8[r.ref()] != null; // int8 nodes bind f32 buffers only (linear_dynamic)
    KBuffer in0 = r.inputs().size() == 1 ? p.buffer(r.inputs().get(0)) : null, out0 = p.buffer(r.outputs().get(0));
    if (!q8 && in0 != null && in0.type() == KType.OBJ && out0.type() == KType.OBJ) {
      ObjectReshape v = ObjectReshape.of(references[r.ref()].graph(), p.storageOf(in0.name()).name(), p.storageOf(out0.name()).name());
      return v == null ? GENERAL : v;
    }
    MemorySegment[] params = new MemorySegment[r.inputs().size()];
    for (int i = 0; i < params.length; i++) params[i] = storage(r.inputs().get(i), q8);
    MemorySegment out = storage(r.outputs().get(0), q8);
    Object f = q8 ? int8[r.ref()].direct(params, out) : CopyStep.of(references[r.ref()].graph(), params, out);
    return f == null ? GENERAL : f;
  }

  /**
   * Names the program and counts the reference steps bound so far ({@code int8 direct N, copies M}: M counts stacks
   * and object reshapes) and the distinct int8 nodes ({@link Int8Step#shared}).
   */
  @Override
  public synchronized String toString() {
    long d = bound.values().stream().filter(f -> f instanceof Int8Direct).count(),
        c = bound.values().stream().filter(f -> f instanceof CopyStep || f instanceof ObjectReshape).count();
    long nodes = java.util.Arrays.stream(int8).filter(java.util.Objects::nonNull).distinct().count();
    return "NativeExecutor(@" + p.name() + ", int8 direct " + d + ", copies " + c + ", general " + (bound.size() - d - c) + ", int8 nodes " + nodes + ")";
  }

  /** The storage of a tensor buffer sliced to its bytes, or null for an object buffer (or any but f32 when asked). */
  private MemorySegment storage(String name, boolean f32Only) {
    KBuffer b = p.buffer(name);
    if (b.type() == KType.OBJ || f32Only && b.type() != KType.F32) return null;
    MemorySegment s = segments.get(p.storageOf(name).name());
    long bytes = b.numel() * NativePlan.elementBytes(b.type());
    return s == null || s.byteSize() < bytes ? null : s.asSlice(0, bytes);
  }

  /** Inputs go in as tensors over the native buffers (no copy); results are copied into their buffers. */
  private void reference(Stmt.CallReference r) {
    List<Object> args = new ArrayList<>();
    for (String in : r.inputs()) args.add(value(in, false));
    List<Object> res = int8[r.ref()] != null ? int8[r.ref()].run(args, this::gang) : references[r.ref()].run(args);
    for (int i = 0; i < r.outputs().size(); i++) {
      KBuffer b = p.buffer(r.outputs().get(i));
      if (b.type() == KType.OBJ) objects.put(p.storageOf(b.name()).name(), res.get(i));
      else copyIn((Tensor) res.get(i), b, segments.get(p.storageOf(b.name()).name()), "result " + i + " of reference call #" + r.ref());
    }
  }

  /** Buffer {@code name} as a run-time value: its object, or a tensor of its shape over (or copied from) its storage. */
  private Object value(String name, boolean copy) {
    KBuffer b = p.buffer(name);
    KBuffer s = p.storageOf(name);
    if (b.type() == KType.OBJ) return objects.get(s.name());
    MemorySegment seg = segments.get(s.name()).asSlice(0, b.numel() * NativePlan.elementBytes(b.type()));
    if (copy) seg = switch (b.type()) {
      case F32 -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_FLOAT));
      case I64 -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_LONG));
      default -> MemorySegment.ofArray(seg.toArray(ValueLayout.JAVA_BYTE));
    };
    return Tensor.of(b.type().dtype(), seg, b.shape());
  }

  private static void copyIn(Tensor t, KBuffer b, MemorySegment dst, String what) {
    DType want = b.type().dtype();
    if (t.numel() != b.numel())
      throw new IllegalArgumentException(what + ": buffer %" + b.name() + " holds " + b.numel() + " elements, got a tensor of "
          + Tensor.dims(t.shape()));
    Tensor c = (t.dtype() == want ? t : t.to(want)).contiguous();
    MemorySegment.copy(c.segment(), 0, dst, 0, b.numel() * NativePlan.elementBytes(b.type()));
  }
}
