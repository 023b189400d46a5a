package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import dev.kiln.codegen.llvm.gemm.PackedGemmEmitter;
import dev.kiln.codegen.llvm.gemm.SmallGemmEmitter;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The explicit-vector GEMMs of one module, emitted on first use per operand form ({@code kiln_gemm_nn}, {@code _nt},
 * {@code _tn}, {@code _tt}); all share one configuration and so one workspace size. Products of at most
 * {@link SmallGemmEmitter#MAX_ROWS} rows with row-major operands call {@code kiln_gemm_small_nn} instead (no packing).
 */
final class GemmLibrary {
  private final LlvmModule m;
  private final GemmConfig cfg;
  private final LLVMValueRef[] fns = new LLVMValueRef[4];
  private LLVMValueRef small;
  private final LLVMValueRef[] packed = new LLVMValueRef[2];
  private LLVMValueRef packedBias, packedBiasRes;

  GemmLibrary(LlvmModule m, GemmConfig cfg) {
    this.m = m;
    this.cfg = cfg;
  }

  /** Bytes of packing scratch every call needs at the start of {@code work} (a multiple of 64). */
  long workspaceBytes() { return (cfg.workspaceBytes() + 63) / 64 * 64; }

  /** Emits {@code C[m x n] += op(A) op(B)} at the builder's position. */
  void call(IrBuilder b, boolean ta, boolean tb, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, int mm, int n, int k,
      int lda, int ldb, int ldc, LLVMValueRef work) {
    call(b, ta, tb, a, bm, c, mm, b.i64(mm), b.i64(n), k, lda, ldb, ldc, work);
  }

  /** Columns of the micro-tile: the panel width of B packed at init ({@link WeightPrepack}). */
  int nr() { return cfg.nr(); }

  /** Floats per vector of the target (the direct convolution kernels use the same width). */
  int lanes() { return cfg.lanes(); }

  /** Rows of C per share when threads split a product by rows (the micro-kernel's MR, so tiles match one thread's). */
  int rowGranule() { return cfg.mr(); }

  /**
   * As above with run-time row and column counts (a thread's share, {@code ThreadedBody}); {@code rowsBound}, the
   * whole product's rows, picks the kernel so every share runs the same one.
   */
  void call(IrBuilder b, boolean ta, boolean tb, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, int rowsBound,
      LLVMValueRef mm, LLVMValueRef n, int k, int lda, int ldb, int ldc, LLVMValueRef work) {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    if (!ta && !tb && rowsBound <= SmallGemmEmitter.MAX_ROWS) {
      if (small == null) small = SmallGemmEmitter.emit(m, "kiln_gemm_small_nn", cfg.lanes());
      b.call(small, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, i64, p), a, bm, c, mm, n, b.i64(k),
          b.i64(lda), b.i64(ldb), b.i64(ldc), work);
      return;
    }
    int form = (ta ? 2 : 0) + (tb ? 1 : 0);
    if (fns[form] == null) fns[form] = GemmEmitter.emit(m, "kiln_gemm_" + (ta ? "t" : "n") + (tb ? "t" : "n"), cfg, ta, tb);
    b.call(fns[form], m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, i64, p), a, bm, c, mm, n,
        b.i64(k), b.i64(lda), b.i64(ldb), b.i64(ldc), work);
  }

  /**
   * As above; when {@code packedB}, B is a buffer packed at init ({@link WeightPrepack}: the statement has transB and
   * ldb = K) and the product goes to {@code kiln_gemm_packedB_{n,t}} ({@link PackedGemmEmitter}), whatever its rows.
   */
  void call(IrBuilder b, boolean ta, boolean tb, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, int rowsBound,
      LLVMValueRef mm, LLVMValueRef n, int k, int lda, int ldb, int ldc, LLVMValueRef work, boolean packedB) {
    if (!packedB) {
      call(b, ta, tb, a, bm, c, rowsBound, mm, n, k, lda, ldb, ldc, work);
      return;
    }
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    int form = ta ? 1 : 0;
    if (packed[form] == null) packed[form] = PackedGemmEmitter.emit(m, "kiln_gemm_packedB_" + (ta ? "t" : "n"), cfg, ta);
    b.call(packed[form], m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, p), a, bm, c, mm, n, b.i64(k),
        b.i64(lda), b.i64(ldc), work);
  }

  /**
   * {@code C[m x n] = bias[n] + A B} with B packed at init and row-major A: {@code kiln_gemm_packedB_n_bias}, which
   * adds the bias in the first depth block's store instead of reading C (a channels-last pointwise convolution
   * without its bias fill pass; same bits).
   */
  void callPackedBias(IrBuilder b, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, LLVMValueRef mm, LLVMValueRef n,
      int k, int lda, int ldc, LLVMValueRef work, LLVMValueRef bias) {
    callPackedBias(b, a, bm, c, mm, n, k, lda, ldc, work, bias, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
  }

  /**
   * As above, storing {@code min(max(C [+ res], lo), hi)} in the last depth block (a fused residual add, relu or relu6,
   * {@link FusedEpilogue}); with a residual ({@code res} not null, laid out like C) the call goes to
   * {@code kiln_gemm_packedB_n_bias_res}.
   */
  void callPackedBias(IrBuilder b, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, LLVMValueRef mm, LLVMValueRef n,
      int k, int lda, int ldc, LLVMValueRef work, LLVMValueRef bias, LLVMValueRef res, float lo, float hi) {
    LLVMTypeRef p = m.ptr(), i64 = m.i64(), f32 = m.f32();
    if (res == null) {
      if (packedBias == null) packedBias = PackedGemmEmitter.emit(m, "kiln_gemm_packedB_n_bias", cfg, false, true);
      b.call(packedBias, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, p, p, f32, f32), a, bm, c, mm, n,
          b.i64(k), b.i64(lda), b.i64(ldc), work, bias, b.f32(lo), b.f32(hi));
      return;
    }
    if (packedBiasRes == null) packedBiasRes = PackedGemmEmitter.emitResidual(m, "kiln_gemm_packedB_n_bias_res", cfg);
    b.call(packedBiasRes, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, p, p, p, f32, f32), a, bm, c, mm, n,
        b.i64(k), b.i64(lda), b.i64(ldc), work, bias, res, b.f32(lo), b.f32(hi));
  }
}
