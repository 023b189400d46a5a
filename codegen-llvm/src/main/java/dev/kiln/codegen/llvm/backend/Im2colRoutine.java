package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * One parametrised channels-last im2col routine per module, shared by every convolution that needs one:
 *
 * <pre>
 * void kiln_im2col_nhwc(ptr x, ptr col, i64 h, i64 w, i64 cstride, i64 cg, i64 kh, i64 kw,
 *                       i64 sh, i64 sw, i64 ph, i64 pw, i64 dh, i64 dw, i64 oh, i64 ow)
 *   col[((oy*ow + ox)*kh + ky)*kw + kx][ci] = x[(iy*w + ix)*cstride + ci]  (0 outside the image)
 *   with iy = oy*sh - ph + ky*dh, ix = ox*sw - pw + kx*dw, ci < cg
 * </pre>
 *
 * {@code x} points at the image's first channel of the group. Emitting this once instead of one constant-shaped
 * loop nest per convolution keeps the module small: LLVM's vectorizer and code generator see one copy (compile
 * time grew with the number of convolutions). The inner channel loop is contiguous in both buffers; the bounds
 * test is per tap, outside it. Marked {@code noinline} so O3 does not copy it back into every caller.
 */
final class Im2colRoutine {
  static final String NAME = "kiln_im2col_nhwc";

  private final LlvmModule m;
  private LLVMValueRef fn;

  Im2colRoutine(LlvmModule m) { this.m = m; }

  /** Emits the call for one image and group, declaring the routine on first use. */
  void call(IrBuilder b, LLVMValueRef x, LLVMValueRef col, int[] q, int cstride, int cg) {
    if (fn == null) fn = emit();
    long[] a = {q[2], q[3], cstride, cg, q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[14], q[15]};
    LLVMValueRef[] args = new LLVMValueRef[2 + a.length];
    args[0] = x;
    args[1] = col;
    for (int i = 0; i < a.length; i++) args[2 + i] = b.i64(a[i]);
    b.call(fn, type(), args);
  }

  /** As above for output rows [r, r + rows) only: top padding {@code padTop} = padH − r·strideH, both run-time i64. */
  void call(IrBuilder b, LLVMValueRef x, LLVMValueRef col, int[] q, int cstride, int cg, LLVMValueRef padTop, LLVMValueRef rows) {
    if (fn == null) fn = emit();
    long[] a = {q[2], q[3], cstride, cg, q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[14], q[15]};
    LLVMValueRef[] args = new LLVMValueRef[2 + a.length];
    args[0] = x;
    args[1] = col;
    for (int i = 0; i < a.length; i++) args[2 + i] = b.i64(a[i]);
    args[2 + 8] = padTop;
    args[2 + 12] = rows;
    b.call(fn, type(), args);
  }

  private LLVMTypeRef type() {
    LLVMTypeRef[] p = new LLVMTypeRef[16];
    p[0] = m.ptr();
    p[1] = m.ptr();
    for (int i = 2; i < 16; i++) p[i] = m.i64();
    return m.fnType(m.voidType(), p);
  }

  private LLVMValueRef emit() {
    LLVMValueRef f = m.addFunction(NAME, type());
    m.bufferParam(f, 0, 4);
    m.bufferParam(f, 1, 64);
    m.addFunctionAttr(f, "noinline");
    m.makeInternal(f);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(f);
      LLVMValueRef x = b.param(0), col = b.param(1), h = b.param(2), w = b.param(3), cs = b.param(4), cg = b.param(5);
      LLVMValueRef kh = b.param(6), kw = b.param(7), sh = b.param(8), sw = b.param(9), ph = b.param(10), pw = b.param(11);
      LLVMValueRef dh = b.param(12), dw = b.param(13), oh = b.param(14), ow = b.param(15);
      LLVMValueRef zero = b.i64(0), one = b.i64(1);
      IrBuilder.Loop oy = b.loop("oy", zero, oh, one);
      IrBuilder.Loop ox = b.loop("ox", zero, ow, one);
      IrBuilder.Loop ky = b.loop("ky", zero, kh, one);
      LLVMValueRef iy = b.add(b.sub(b.mul(oy.iv(), sh), ph), b.mul(ky.iv(), dh));
      LLVMValueRef rowIn = b.and(b.ge(iy, zero), b.lt(iy, h));
      IrBuilder.Loop kx = b.loop("kx", zero, kw, one);
      LLVMValueRef ix = b.add(b.sub(b.mul(ox.iv(), sw), pw), b.mul(kx.iv(), dw));
      LLVMValueRef in = b.and(rowIn, b.and(b.ge(ix, zero), b.lt(ix, w)));
      LLVMValueRef cy = b.select(rowIn, iy, zero), cx = b.select(b.and(b.ge(ix, zero), b.lt(ix, w)), ix, zero);
      LLVMValueRef src = b.gep(m.f32(), x, b.mul(b.add(b.mul(cy, w), cx), cs));
      LLVMValueRef tap = b.add(b.mul(b.add(b.mul(b.add(b.mul(oy.iv(), ow), ox.iv()), kh), ky.iv()), kw), kx.iv());
      LLVMValueRef dst = b.gep(m.f32(), col, b.mul(tap, cg));
      IrBuilder.Loop ci = b.loop("ci", zero, cg, one);
      LLVMValueRef v = b.select(in, b.load(m.f32(), b.gep(m.f32(), src, ci.iv()), 4), b.f32(0f));
      b.store(v, b.gep(m.f32(), dst, ci.iv()), 4);
      b.endLoop(ci);
      b.endLoop(kx);
      b.endLoop(ky);
      b.endLoop(ox);
      b.endLoop(oy);
      b.retVoid();
    }
    return f;
  }
}
