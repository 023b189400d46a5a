package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.nativelib.NativePlan;
import dev.kiln.runtime.nativelib.NativeProgram;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The LLVM backend: lowers an optimized graph to Kernel IR ({@link KernelLowering}), emits one LLVM function per
 * kernel, groups consecutive native kernels into entry points {@code kiln_<phase>_segN(ptr table, i32 tid,
 * i32 nthreads)} (the table holds the thread's workspace, every storage pointer, the shared sync area;
 * {@link SegmentEmitter}, threads: {@link ThreadedBody}) and describes the whole run as a {@link NativePlan} ({@link #emit}).
 * JIT mode ({@link #compile}) compiles the module with ORC LLJIT at O3 and returns an {@link LlvmCompiled} whose
 * {@code instantiate} runs the plan with the runtime's {@code NativeExecutor}; AOT mode
 * ({@code dev.kiln.codegen.llvm.aot.AotModelCompiler}) links the same module into a shared library instead. Kernels
 * the emitter does not handle run on the JVM between native segments ({@code JavaKernelRunner}); reference calls run
 * the interpreter. Needs static shapes (specialize first), like the JVM backend, except for the batch of a graph it
 * splits: a batch-separable graph is compiled for batch 1 and run per sample when that pays ({@link LlvmBatchSplit}).
 *
 * <p>Stateless and thread-safe; each compile has its own LLVM context and JIT.
 */
public final class LlvmBackend {
  private LlvmBackend() {}

  /**
   * @param optimized the graph after the optimization pipeline, not null; only read
   * @param weights the weights its {@code const {name=...}} nodes name, not null (checked for presence here; the
   *     tensors are taken by {@link LlvmCompiled#instantiate})
   */
  public static LlvmCompiled compile(Graph optimized, Map<String, Tensor> weights, LlvmOptions opts) {
    long t0 = System.nanoTime();
    LlvmBatchSplit.Plan split = LlvmBatchSplit.of(optimized); // batch-1 code run per sample, when that pays
    KernelProgram p = KernelLowering.lower(split.graph(), LoweringOptions.NATIVE);
    return compile(p, weights, opts, t0, split);
  }

  /** Compiles an already lowered program (as it is: no batch split). */
  public static LlvmCompiled compile(KernelProgram program, Map<String, Tensor> weights, LlvmOptions opts) {
    return compile(program, weights, opts, System.nanoTime(), new LlvmBatchSplit.Plan(null, 1));
  }

  private static LlvmCompiled compile(KernelProgram p, Map<String, Tensor> weights, LlvmOptions opts, long t0, LlvmBatchSplit.Plan split) {
    LlvmEmitted e = emit(p, weights, opts, t0);
    LlvmJit jit = new LlvmJit(e.target());
    try {
      jit.add(e.module());
      e.module().close();
      NativeProgram code = NativeProgram.link(split.apply(e.plan()), symbol -> Optional.of(jit.lookup(symbol)), null);
      long done = System.nanoTime();
      return new LlvmCompiled(code, jit, e.nativeKinds(), e.fallbackKinds(), e.emitMillis(), (done - e.emittedAt()) / 1e6,
          e.target(), e.llvmIr());
    } catch (RuntimeException ex) {
      jit.close();
      throw ex;
    }
  }

  /**
   * Lowers and emits without compiling: the LLVM module (one function per native kernel, one entry point per native
   * segment) and the {@link NativePlan} that drives it. The JIT path above and the AOT path
   * ({@code dev.kiln.codegen.llvm.aot.AotModelCompiler}) both start here, so they run the same code the same way.
   *
   * @return the module, owned by the caller (close it, or hand it to a JIT)
   */
  public static LlvmEmitted emit(Graph optimized, Map<String, Tensor> weights, LlvmOptions opts) {
    long t0 = System.nanoTime();
    return emit(KernelLowering.lower(optimized, LoweringOptions.NATIVE), weights, opts, t0);
  }

  private static LlvmEmitted emit(KernelProgram p, Map<String, Tensor> weights, LlvmOptions opts, long t0) {
    for (KBuffer b : p.buffers().values())
      if (b.role() == KBuffer.Role.WEIGHT && !weights.containsKey(b.source()))
        throw new IllegalArgumentException("graph @" + p.name() + " reads weight \"" + b.source() + "\", which is not in the weight table");
    TargetSpec target = TargetSpec.parse(opts.target());
    WeightPrepack prepack = WeightPrepack.enabled()
        ? WeightPrepack.apply(p, GemmConfig.forLanes(target.floatLanes()).nr()) : WeightPrepack.none(p);
    p = prepack.program();
    InvertedResidualFusion blocks = InvertedResidualChain.enabled() ? InvertedResidualFusion.apply(p, prepack.packed())
        : InvertedResidualFusion.none(p); // expand -> depthwise -> project chains run band by band
    p = blocks.program();
    if (TempSlots.enabled()) p = TempSlots.apply(p); // temps with disjoint live ranges share storage
    List<String> storages = new ArrayList<>();
    for (KBuffer b : p.buffers().values())
      if (b.role() != KBuffer.Role.ALIAS && b.type() != KType.OBJ) storages.add(b.name());
    LlvmModule m = new LlvmModule("kiln_" + p.name());
    try {
      GemmLibrary gemms = new GemmLibrary(m, GemmConfig.forLanes(target.floatLanes()));
      long colBytes = 0;
      for (Kernel k : concat(p.init(), p.kernels())) colBytes = Math.max(colBytes, colBytes(k.body()));
      KernelFunctionEmitter emitter = new KernelFunctionEmitter(m, p, gemms, gemms.workspaceBytes(), true);
      emitter.packedB = prepack.packed();
      emitter.bandOffsetBytes = gemms.workspaceBytes() + colBytes;
      emitter.blocks = blocks.chains();
      var int8 = new dev.kiln.codegen.llvm.quant.Int8Library(m, target); // int8 routines, added on first use
      Map<String, Integer> nativeKinds = new LinkedHashMap<>(), fallbackKinds = new LinkedHashMap<>();
      List<PendingSegment> segments = new ArrayList<>();
      List<Object> init = plan(p, p.init(), "init", emitter, storages, segments, nativeKinds, fallbackKinds, m, prepack, int8);
      List<Object> run = plan(p, p.kernels(), "run", emitter, storages, segments, nativeKinds, fallbackKinds, m, prepack, int8);
      String ir = opts.keepIr() ? m.print() : null;
      long workspace = gemms.workspaceBytes() + colBytes + blocks.bandBytes();
      // The plan keeps buffers, inputs, outputs and reference graphs; kernels live in the module or in their steps.
      KernelProgram shell = new KernelProgram(p.name(), p.buffers(), p.inputs(), p.outputs(), List.of(), List.of(), p.references());
      NativePlan plan = new NativePlan(shell, storages, workspace, resolve(init), resolve(run));
      long emitted = System.nanoTime();
      return new LlvmEmitted(m, plan, target, nativeKinds, fallbackKinds, (emitted - t0) / 1e6, emitted, ir);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  private record PendingSegment(String symbol, List<String> kernels, List<List<String>> params, List<Kernel> bodies) {}

  /** Splits kernels into native segments (emitted here, resolved after JIT) and JVM/reference steps, in order. */
  private static List<Object> plan(KernelProgram p, List<Kernel> kernels, String phase, KernelFunctionEmitter emitter,
      List<String> storages, List<PendingSegment> segments, Map<String, Integer> nativeKinds,
      Map<String, Integer> fallbackKinds, LlvmModule m, WeightPrepack prepack, dev.kiln.codegen.llvm.quant.Int8Library int8) {
    List<Object> steps = new ArrayList<>();
    PendingSegment open = null;
    for (Kernel k : kernels) {
      String kind = kindOf(k);
      if (k.body().size() == 1 && k.body().get(0) instanceof Stmt.CallReference r) {
        String q8 = int8.symbolFor(p.references().get(r.ref())); // int8: quantized linear/conv on the native GEMM
        steps.add(new NativePlan.Step.Reference(r, q8));
        (q8 == null ? fallbackKinds : nativeKinds).merge((q8 == null ? "reference " : "int8 ") + kind, 1, Integer::sum);
        open = null;
        continue;
      }
      List<String> params = new ArrayList<>(new LinkedHashSet<>(k.params().stream()
          .filter(n -> p.buffer(n).type() != KType.OBJ).map(n -> p.storageOf(n).name()).toList()));
      String fn = "kiln_" + phase + "_" + k.name();
      InvertedResidualChain block = emitter.blocks.get(k);
      try {
        if (block != null) emitter.emitBlock(fn, block, params);
        else emitter.emit(fn, k, params);
      } catch (Unsupported u) {
        if (block != null) for (Kernel part : block.kernels()) steps.add(new NativePlan.Step.Java(prepack.original(part)));
        else steps.add(new NativePlan.Step.Java(prepack.original(k))); // the JVM runner reads weights unpacked
        fallbackKinds.merge("jvm " + kind + " (" + u.getMessage() + ")", 1, Integer::sum);
        open = null;
        continue;
      }
      nativeKinds.merge(kind, 1, Integer::sum);
      if (open == null) {
        open = new PendingSegment("kiln_" + phase + "_seg" + segments.size(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        segments.add(open);
        steps.add(open);
      }
      open.kernels.add(fn);
      open.params.add(params);
      open.bodies.add(k);
    }
    for (PendingSegment s : segments)
      if (steps.contains(s)) SegmentEmitter.emit(m, p, s.symbol, s.bodies, s.kernels, s.params, storages, emitter.barrier);
    return steps;
  }

  private static List<NativePlan.Step> resolve(List<Object> planned) {
    List<NativePlan.Step> out = new ArrayList<>();
    for (Object o : planned)
      out.add(o instanceof PendingSegment s ? new NativePlan.Step.Native(s.symbol, s.kernels.size(), SegmentEmitter.splitWork(s.bodies)) : (NativePlan.Step) o);
    return out;
  }

  private static long colBytes(List<Stmt> body) {
    long max = 0;
    for (Stmt s : body) {
      if (s instanceof Stmt.Conv c) max = Math.max(max, 4 * ConvExpansion.colFloats(c));
      else if (s instanceof Stmt.For f) max = Math.max(max, colBytes(f.body()));
    }
    return max;
  }

  /** The graph op a kernel came from ({@code nn.relu}, {@code fused conv2d+epilogue}), from its origin text. */
  static String kindOf(Kernel k) {
    String o = k.origin() == null ? k.name() : k.origin();
    int eq = o.indexOf("= ");
    if (eq >= 0) o = o.substring(eq + 2);
    if (o.startsWith("fused")) {
      int q = o.indexOf("kind=\"");
      return q < 0 ? "fused" : "fused " + o.substring(q + 6, o.indexOf('"', q + 6));
    }
    int cut = o.length();
    for (char ch : new char[] {' ', '(', '{'}) if (o.indexOf(ch) >= 0) cut = Math.min(cut, o.indexOf(ch));
    return o.substring(0, cut);
  }

  private static List<Kernel> concat(List<Kernel> a, List<Kernel> b) {
    List<Kernel> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
