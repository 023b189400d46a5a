package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The explicit-vector GEMMs of one module, emitted on first use per operand form ({@code kiln_gemm_nn}, {@code _nt},
 * {@code _tn}, {@code _tt}); all share one configuration and so one workspace size.
 */
final class GemmLibrary {
  private final LlvmModule m;
  private final GemmConfig cfg;
  private final LLVMValueRef[] fns = new LLVMValueRef[4];

  GemmLibrary(LlvmModule m, GemmConfig cfg) {
    this.m = m;
    this.cfg = cfg;
  }

  /** Bytes of packing scratch every call needs at the start of {@code work} (a multiple of 64). */
  long workspaceBytes() { return (cfg.workspaceBytes() + 63) / 64 * 64; }

  /** Emits {@code C[m x n] += op(A) op(B)} at the builder's position. */
  void call(IrBuilder b, boolean ta, boolean tb, LLVMValueRef a, LLVMValueRef bm, LLVMValueRef c, int mm, int n, int k,
      int lda, int ldb, int ldc, LLVMValueRef work) {
    int form = (ta ? 2 : 0) + (tb ? 1 : 0);
    if (fns[form] == null) fns[form] = GemmEmitter.emit(m, "kiln_gemm_" + (ta ? "t" : "n") + (tb ? "t" : "n"), cfg, ta, tb);
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    b.call(fns[form], m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, i64, i64, p), a, bm, c, b.i64(mm), b.i64(n),
        b.i64(k), b.i64(lda), b.i64(ldb), b.i64(ldc), work);
  }
}
