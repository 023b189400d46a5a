package dev.kiln.codegen.llvm.gemm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.lang.foreign.FunctionDescriptor;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits a single-threaded SGEMM into a module:
 * <pre>
 *   void NAME(ptr A, ptr B, ptr C, i64 M, i64 N, i64 K, i64 lda, i64 ldb, i64 ldc, ptr work)
 *     C[i*ldc + j] += sum_k A[i*lda + k] * B[k*ldb + j]      (row-major floats)
 *   i64 NAME_workspace()   -- bytes {@code work} must hold, 64-byte aligned
 * </pre>
 * Loop nest (BLIS): jc over NC columns, pc over KC depth (pack B; a depth up to 1.5 KC is one block,
 * {@link GemmConfig#kcMax()}), ic over MC rows (pack A), jr over NR, ir over MR, micro-kernel. All sizes are run-time
 * values; edges are handled by zero-padded packing and masked C updates. Rows of
 * C are independent, so a caller may split M across threads by offsetting A and C, one workspace per thread.
 */
public final class GemmEmitter {
  /** The C signature of the emitted GEMM, for downcall handles (JIT or AOT). */
  public static final FunctionDescriptor DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS,
      JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);

  /** The C signature of {@code NAME_workspace}. */
  public static final FunctionDescriptor WORKSPACE_DESCRIPTOR = FunctionDescriptor.of(JAVA_LONG);

  private GemmEmitter() {}

  /** Emits {@code name}, {@code name_workspace} and internal helpers {@code name.*}; returns the GEMM function. */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg) {
    return emit(m, name, cfg, false, false);
  }

  /**
   * As {@link #emit(LlvmModule, String, GemmConfig)} with transposed operands: when {@code transA}, element (i, k)
   * of A is {@code A[k*lda + i]}; when {@code transB}, element (k, j) of B is {@code B[j*ldb + k]}. Only the packing
   * routines differ (they gather into the same k-major panels), so the micro-kernel is shared by all four forms.
   */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA, boolean transB) {
    LLVMValueRef micro = GemmMicroKernel.emit(m, name + ".micro", cfg);
    LLVMValueRef packA = transA ? GemmPacking.emitPackAT(m, name + ".packA", cfg) : GemmPacking.emitPackA(m, name + ".packA", cfg);
    LLVMValueRef packB = transB ? GemmPacking.emitPackBT(m, name + ".packB", cfg) : GemmPacking.emitPackB(m, name + ".packB", cfg);
    LLVMTypeRef p = m.ptr(), i64 = m.i64(), f32 = m.f32(), v = m.voidType();
    LLVMTypeRef microT = m.fnType(v, p, p, p, i64, i64, i64, i64), packT = m.fnType(v, p, i64, i64, i64, p);

    LLVMValueRef ws = m.addFunction(name + "_workspace", m.fnType(i64));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(ws);
      b.ret(b.i64(cfg.workspaceBytes()));
    }

    LLVMValueRef fn = m.addFunction(name, m.fnType(v, p, p, p, i64, i64, i64, i64, i64, i64, p));
    m.bufferParam(fn, 0, 4);
    m.bufferParam(fn, 1, 4);
    m.bufferParam(fn, 2, 4);
    m.bufferParam(fn, 9, 64);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef a = b.param(0), bm = b.param(1), c = b.param(2);
      LLVMValueRef mm = b.param(3), nn = b.param(4), kk = b.param(5);
      LLVMValueRef lda = b.param(6), ldb = b.param(7), ldc = b.param(8), work = b.param(9);
      LLVMValueRef ap = work, bp = b.gep(f32, work, b.i64((long) cfg.mc() * cfg.kcMax()));
      LLVMValueRef mr = b.i64(cfg.mr()), nr = b.i64(cfg.nr());

      IrBuilder.Loop jc = b.loop("jc", b.i64(0), nn, b.i64(cfg.nc()));
      LLVMValueRef nc = b.min(b.i64(cfg.nc()), b.sub(nn, jc.iv()));
      LLVMValueRef kcStep = depthStep(b, cfg, kk);
      IrBuilder.Loop pc = b.loop("pc", b.i64(0), kk, kcStep);
      LLVMValueRef kc = b.min(kcStep, b.sub(kk, pc.iv()));
      LLVMValueRef bStart = transB ? b.add(b.mul(jc.iv(), ldb), pc.iv()) : b.add(b.mul(pc.iv(), ldb), jc.iv());
      b.call(packB, packT, b.gep(f32, bm, bStart), ldb, kc, nc, bp);
      IrBuilder.Loop ic = b.loop("ic", b.i64(0), mm, b.i64(cfg.mc()));
      LLVMValueRef mc = b.min(b.i64(cfg.mc()), b.sub(mm, ic.iv()));
      LLVMValueRef aStart = transA ? b.add(b.mul(pc.iv(), lda), ic.iv()) : b.add(b.mul(ic.iv(), lda), pc.iv());
      b.call(packA, packT, b.gep(f32, a, aStart), lda, mc, kc, ap);
      IrBuilder.Loop jr = b.loop("jr", b.i64(0), nc, nr);
      IrBuilder.Loop ir = b.loop("ir", b.i64(0), mc, mr);
      LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(b.add(ic.iv(), ir.iv()), ldc), b.add(jc.iv(), jr.iv())));
      b.call(micro, microT, b.gep(f32, ap, b.mul(ir.iv(), kc)), b.gep(f32, bp, b.mul(jr.iv(), kc)), cTile, ldc, kc,
          b.min(mr, b.sub(mc, ir.iv())), b.min(nr, b.sub(nc, jr.iv())));
      b.endLoop(ir);
      b.endLoop(jr);
      b.endLoop(ic);
      b.endLoop(pc);
      b.endLoop(jc);
      b.retVoid();
    }
    return fn;
  }

  /**
   * The depth block: all of K when {@code 0 < K <= kcMax} ({@link GemmConfig#ONE_BLOCK}), else KC. Shared by the
   * packed-B GEMM so both sum in the same order (same bits).
   */
  static LLVMValueRef depthStep(IrBuilder b, GemmConfig cfg, LLVMValueRef kk) {
    if (cfg.kcMax() == cfg.kc()) return b.i64(cfg.kc());
    LLVMValueRef whole = b.and(b.lt(b.i64(0), kk), b.lt(kk, b.i64(cfg.kcMax() + 1L)));
    return b.select(whole, kk, b.i64(cfg.kc()));
  }
}
