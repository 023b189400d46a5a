package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.LLVMBuildSDiv;
import static org.bytedeco.llvm.global.LLVM.LLVMConstInt;
import static org.bytedeco.llvm.global.LLVM.LLVMInt1TypeInContext;
import static org.bytedeco.llvm.global.LLVM.LLVMInt8TypeInContext;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The body of a merged inverted-residual kernel ({@link InvertedResidualChain}): the depthwise conv's output rows go in
 * bands of {@code bandRows}; per band of image n, output rows [oy0, oy1) reading input rows [lo, hi):
 *
 * <pre>
 *   expand:  xb[0 .. hi-lo) = rows lo..hi of clamp(bias + x W)   (rows the previous band of this thread computed
 *            are moved to the front of xb instead: the 3x3 halo, kh - sh rows)
 *   dw:      yb[0 .. oy1-oy0) = output rows oy0..oy1 of the depthwise conv over xb (rows from lo)
 *   project: out rows oy0..oy1 = [clamp](bias + yb W [+ residual])
 * </pre>
 *
 * xb and yb live in the thread's workspace ({@link InvertedResidualFusion#bandBytes}), sized to stay in L2, so the
 * expanded activation (4.8 MB for mobilenet_v2's second block) is never written out and read back. Each step is the
 * unfused kernel's own routine ({@code kiln_gemm_packedB_n_bias[_res]}, {@code kiln_conv_dw_*}) on the band, so every
 * output element is the same sum in the same order: the bits are the unfused ones. Threads take contiguous ranges of
 * the n x bands (image, band) units; a thread's first band in an image computes its halo rows itself, so there is
 * no barrier.
 */
final class InvertedResidualEmitter {
  private final KernelFunctionEmitter e;
  private final IrBuilder b;
  private final LlvmModule m;
  private final InvertedResidualChain c;

  InvertedResidualEmitter(KernelFunctionEmitter e, InvertedResidualChain c) {
    this.e = e;
    this.b = e.ib;
    this.m = e.m;
    this.c = c;
  }

  void emit() {
    Stmt.Conv dc = c.dwConv(), pc = c.projectConv(), ec = c.expandConv();
    int[] d = dc.params(), pq = pc.params();
    int h = d[2], w = d[3], ch = d[1], kh = d[5], sh = d[7], ph = d[9], oh = d[14], ow = d[15], rows = c.bandRows();
    long bands = (oh + rows - 1) / rows, units = d[0] * bands;
    LLVMValueRef u0 = b.i64(0), u1 = b.i64(units);
    if (e.threaded()) {
      u0 = div(b.mul(b.i64(units), e.tid), e.nthreads);
      u1 = div(b.mul(b.i64(units), b.add(e.tid, b.i64(1))), e.nthreads);
    }
    LLVMValueRef base = b.gep(LLVMInt8TypeInContext(m.context()), e.work, b.i64(e.bandOffsetBytes));
    LLVMValueRef xb = base, yb = b.gep(LLVMInt8TypeInContext(m.context()), base, b.i64(InvertedResidualFusion.bandOffset(c)));
    IrBuilder.Loop u = b.loop("band", u0, u1, b.i64(1));
    LLVMValueRef img = div(u.iv(), b.i64(bands)), band = b.sub(u.iv(), b.mul(img, b.i64(bands)));
    LLVMValueRef oy0 = b.mul(band, b.i64(rows)), oy1 = b.min(b.add(oy0, b.i64(rows)), b.i64(oh));
    LLVMValueRef x, xr0;
    if (ec == null) { // the depthwise conv reads the block input itself
      x = e.address(dc.x(), KType.F32, b.mul(img, b.i64((long) h * w * ch)));
      xr0 = b.i64(0);
    } else {
      LLVMValueRef lo = max0(b.sub(b.mul(oy0, b.i64(sh)), b.i64(ph)));
      LLVMValueRef hi = b.min(b.i64(h), b.add(b.sub(b.mul(b.sub(oy1, b.i64(1)), b.i64(sh)), b.i64(ph)), b.i64(kh)));
      // rows [lo, prevHi) are still in xb from this thread's previous band of the same image, from row prevLo on
      LLVMValueRef prevLo = max0(b.sub(b.mul(b.sub(oy0, b.i64(rows)), b.i64(sh)), b.i64(ph)));
      LLVMValueRef prevHi = b.min(b.i64(h), b.add(b.sub(b.mul(b.sub(oy0, b.i64(1)), b.i64(sh)), b.i64(ph)), b.i64(kh)));
      LLVMValueRef reuse = b.and(b.lt(u0, u.iv()), b.lt(b.i64(0), band));
      LLVMValueRef keep = b.select(reuse, max0(b.sub(prevHi, lo)), b.i64(0));
      long rowFloats = (long) w * ch;
      b.ifThen(b.lt(b.i64(0), keep), () -> memmove(xb, b.gep(m.f32(), xb, b.mul(b.sub(lo, prevLo), b.i64(rowFloats))),
          b.mul(keep, b.i64(4 * rowFloats))));
      LLVMValueRef first = b.add(lo, keep);
      int[] eq = ec.params();
      FusedEpilogue ee = InvertedResidualChain.epilogue(e.p, c.expand());
      b.ifThen(b.lt(first, hi), () -> e.gemms.callPackedBias(b,
          e.address(ec.x(), KType.F32, b.mul(b.add(b.mul(img, b.i64(h)), first), b.i64((long) w * eq[1]))),
          e.address(ec.weight(), KType.F32, b.i64(0)), b.gep(m.f32(), xb, b.mul(keep, b.i64(rowFloats))),
          b.mul(b.sub(hi, first), b.i64(w)), b.i64(ch), eq[1], eq[1], ch, e.work,
          e.address(ec.bias(), KType.F32, b.i64(0)), null, lo(ee), hi(ee)));
      x = xb;
      xr0 = lo;
    }
    int[] one = d.clone();
    one[0] = 1;
    FusedEpilogue de = InvertedResidualChain.epilogue(e.p, c.dw());
    e.dw.call(b, one, x, e.address(dc.weight(), KType.F32, b.i64(0)),
        dc.bias() == null ? null : e.address(dc.bias(), KType.F32, b.i64(0)), yb,
        e.address(ConvExpansion.COL, KType.F32, b.i64(0)), lo(de), hi(de), oy0, oy1, xr0, oy0);
    FusedEpilogue pe = InvertedResidualChain.epilogue(e.p, c.project());
    LLVMValueRef outRow = b.mul(b.add(b.mul(img, b.i64(oh)), oy0), b.i64((long) ow * pq[4]));
    e.gemms.callPackedBias(b, yb, e.address(pc.weight(), KType.F32, b.i64(0)), e.address(pc.y(), KType.F32, outRow),
        b.mul(b.sub(oy1, oy0), b.i64(ow)), b.i64(pq[4]), ch, ch, pq[4], e.work, e.address(pc.bias(), KType.F32, b.i64(0)),
        pe == null || pe.residual() == null ? null : e.address(pe.residual(), KType.F32, outRow), lo(pe), hi(pe));
    b.endLoop(u);
  }

  private static float lo(FusedEpilogue ep) { return ep == null ? Float.NEGATIVE_INFINITY : ep.lo(); }

  private static float hi(FusedEpilogue ep) { return ep == null ? Float.POSITIVE_INFINITY : ep.hi(); }

  private LLVMValueRef max0(LLVMValueRef v) { return b.select(b.lt(v, b.i64(0)), b.i64(0), v); }

  private LLVMValueRef div(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildSDiv(b.raw(), x, y, ""); }

  private void memmove(LLVMValueRef to, LLVMValueRef from, LLVMValueRef bytes) {
    LLVMTypeRef i1 = LLVMInt1TypeInContext(m.context());
    LLVMTypeRef t = m.fnType(m.voidType(), m.ptr(), m.ptr(), m.i64(), i1);
    b.call(m.declare("llvm.memmove.p0.p0.i64", t), t, to, from, bytes, LLVMConstInt(i1, 0, 0));
  }
}
