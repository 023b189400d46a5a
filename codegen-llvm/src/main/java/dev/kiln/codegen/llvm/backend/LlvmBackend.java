package dev.kiln.codegen.llvm.backend;

import static java.lang.foreign.ValueLayout.ADDRESS;

import dev.kiln.codegen.llvm.IrBuilder;
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
import dev.kiln.runtime.Tensor;
import java.lang.foreign.FunctionDescriptor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The LLVM backend, JIT mode: lowers an optimized graph to Kernel IR ({@link KernelLowering}), emits one LLVM
 * function per kernel, groups consecutive native kernels into entry points {@code kiln_segN(ptr table)} (the table
 * holds the workspace then every storage pointer), JIT-compiles the module with ORC LLJIT at O3, and returns an
 * {@link LlvmCompiled} whose {@code instantiate} runs the steps through {@code java.lang.foreign}. Kernels the
 * emitter does not handle run on the JVM between native segments ({@link JavaKernelRunner}); reference calls run
 * the interpreter. Needs static shapes (specialize first), like the JVM backend.
 *
 * <p>Stateless and thread-safe; each compile has its own LLVM context and JIT.
 */
public final class LlvmBackend {
  private static final FunctionDescriptor SEGMENT = FunctionDescriptor.ofVoid(ADDRESS);

  private LlvmBackend() {}

  /**
   * @param optimized the graph after the optimization pipeline, not null; only read
   * @param weights the weights its {@code const {name=...}} nodes name, not null (checked for presence here; the
   *     tensors are taken by {@link LlvmCompiled#instantiate})
   */
  public static LlvmCompiled compile(Graph optimized, Map<String, Tensor> weights, LlvmOptions opts) {
    long t0 = System.nanoTime();
    KernelProgram p = KernelLowering.lower(optimized);
    return compile(p, weights, opts, t0);
  }

  /** Compiles an already lowered program. */
  public static LlvmCompiled compile(KernelProgram program, Map<String, Tensor> weights, LlvmOptions opts) {
    return compile(program, weights, opts, System.nanoTime());
  }

  private static LlvmCompiled compile(KernelProgram p, Map<String, Tensor> weights, LlvmOptions opts, long t0) {
    for (KBuffer b : p.buffers().values())
      if (b.role() == KBuffer.Role.WEIGHT && !weights.containsKey(b.source()))
        throw new IllegalArgumentException("graph @" + p.name() + " reads weight \"" + b.source() + "\", which is not in the weight table");
    List<String> storages = new ArrayList<>();
    for (KBuffer b : p.buffers().values())
      if (b.role() != KBuffer.Role.ALIAS && b.type() != KType.OBJ) storages.add(b.name());
    TargetSpec target = TargetSpec.parse(opts.target());
    LlvmJit jit = new LlvmJit(target);
    try {
      LlvmModule m = new LlvmModule("kiln_" + p.name());
      GemmLibrary gemms = new GemmLibrary(m, GemmConfig.forLanes(target.floatLanes()));
      long colBytes = 0;
      for (Kernel k : concat(p.init(), p.kernels())) colBytes = Math.max(colBytes, colBytes(k.body()));
      KernelFunctionEmitter emitter = new KernelFunctionEmitter(m, p, gemms, gemms.workspaceBytes());
      Map<String, Integer> nativeKinds = new LinkedHashMap<>(), fallbackKinds = new LinkedHashMap<>();
      List<PendingSegment> segments = new ArrayList<>();
      List<Object> init = plan(p, p.init(), "init", emitter, storages, segments, nativeKinds, fallbackKinds, m);
      List<Object> run = plan(p, p.kernels(), "run", emitter, storages, segments, nativeKinds, fallbackKinds, m);
      String ir = opts.keepIr() ? m.print() : null;
      long emitted = System.nanoTime();
      jit.add(m);
      m.close();
      Map<String, Step.Native> handles = new LinkedHashMap<>();
      for (PendingSegment s : segments) handles.put(s.symbol, new Step.Native(s.symbol, jit.function(s.symbol, SEGMENT), s.kernels.size()));
      long done = System.nanoTime();
      long workspace = gemms.workspaceBytes() + colBytes;
      return new LlvmCompiled(p, jit, storages, workspace, resolve(init, handles), resolve(run, handles), nativeKinds,
          fallbackKinds, (emitted - t0) / 1e6, (done - emitted) / 1e6, target, ir);
    } catch (RuntimeException e) {
      jit.close();
      throw e;
    }
  }

  private record PendingSegment(String symbol, List<String> kernels, List<List<String>> params) {}

  /** Splits kernels into native segments (emitted here, resolved after JIT) and JVM/reference steps, in order. */
  private static List<Object> plan(KernelProgram p, List<Kernel> kernels, String phase, KernelFunctionEmitter emitter,
      List<String> storages, List<PendingSegment> segments, Map<String, Integer> nativeKinds,
      Map<String, Integer> fallbackKinds, LlvmModule m) {
    List<Object> steps = new ArrayList<>();
    PendingSegment open = null;
    for (Kernel k : kernels) {
      String kind = kindOf(k);
      if (k.body().size() == 1 && k.body().get(0) instanceof Stmt.CallReference r) {
        steps.add(new Step.Reference(r));
        fallbackKinds.merge("reference " + kind, 1, Integer::sum);
        open = null;
        continue;
      }
      List<String> params = new ArrayList<>(new LinkedHashSet<>(k.params().stream()
          .filter(n -> p.buffer(n).type() != KType.OBJ).map(n -> p.storageOf(n).name()).toList()));
      String fn = "kiln_" + phase + "_" + k.name();
      try {
        emitter.emit(fn, k, params);
      } catch (Unsupported u) {
        steps.add(new Step.Java(new JavaKernelRunner(p, k)));
        fallbackKinds.merge("jvm " + kind + " (" + u.getMessage() + ")", 1, Integer::sum);
        open = null;
        continue;
      }
      nativeKinds.merge(kind, 1, Integer::sum);
      if (open == null) {
        open = new PendingSegment("kiln_" + phase + "_seg" + segments.size(), new ArrayList<>(), new ArrayList<>());
        segments.add(open);
        steps.add(open);
      }
      open.kernels.add(fn);
      open.params.add(params);
    }
    for (PendingSegment s : segments) if (steps.contains(s)) emitSegment(m, s, storages);
    return steps;
  }

  /** {@code void symbol(ptr table)}: loads each kernel's storage pointers from the table and calls it. */
  private static void emitSegment(LlvmModule m, PendingSegment s, List<String> storages) {
    LLVMValueRef fn = m.addFunction(s.symbol, m.fnType(m.voidType(), m.ptr()));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef table = b.param(0);
      LLVMValueRef work = b.load(m.ptr(), b.gep(m.ptr(), table, b.i64(0)), 8);
      for (int i = 0; i < s.kernels.size(); i++) {
        List<String> params = s.params.get(i);
        LLVMValueRef[] args = new LLVMValueRef[params.size() + 1];
        org.bytedeco.llvm.LLVM.LLVMTypeRef[] types = new org.bytedeco.llvm.LLVM.LLVMTypeRef[args.length];
        for (int j = 0; j < params.size(); j++) {
          args[j] = b.load(m.ptr(), b.gep(m.ptr(), table, b.i64(1 + storages.indexOf(params.get(j)))), 8);
          types[j] = m.ptr();
        }
        args[params.size()] = work;
        types[params.size()] = m.ptr();
        LLVMValueRef callee = org.bytedeco.llvm.global.LLVM.LLVMGetNamedFunction(m.ref(), s.kernels.get(i));
        b.call(callee, m.fnType(m.voidType(), types), args);
      }
      b.retVoid();
    }
  }

  private static List<Step> resolve(List<Object> planned, Map<String, Step.Native> handles) {
    List<Step> out = new ArrayList<>();
    for (Object o : planned) out.add(o instanceof PendingSegment s ? handles.get(s.symbol) : (Step) o);
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
