package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * {@code exp} and {@code tanh} of f32 as straight-line inline IR (range reduction, polynomial, exponent bits), so a
 * loop that uses them stays free of calls and LLVM's loop vectorizer turns it into vector code; {@code llvm.exp.f32}
 * and {@code tanhf} would be scalar libm calls per element. Both are within 1e-6 relative of {@code Math.exp} /
 * {@code Math.tanh} rounded to float (a few ulp) over the whole float range, with the same specials: NaN in, NaN
 * out; exp overflows to +inf above ~88.72 and underflows through the subnormals to +0 below ~-103.97 (subnormal
 * results within one subnormal step); tanh(±inf) = ±1, tanh(-0) = -0.
 *
 * <p>exp(x): n = round(x log2 e) with the round-to-nearest shifter trick (no float-to-int conversion, so no poison
 * for NaN), r = x - n ln2 in two fma steps (ln2 split into a 9-bit head and a tail), e^r by its Taylor polynomial of
 * degree 7 (|r| ≤ ln2/2, truncation 5e-9 relative), then times 2^n built from exponent bits in two halves, so
 * 2^n below the normal range still rounds once, into the subnormal result. tanh(x) = e / (e + 2) with
 * e = expm1(2x), expm1 computed the same way with the polynomial for e^r - 1 (exact at n = 0, so small x keep full
 * relative accuracy); |x| is clamped to 10, where tanh is 1 in float, and the sign copied from x.
 *
 * <p>{@code x} may also be a {@code <n x float>} vector (explicit-vector kernels such as {@link AttentionEmitter}'s
 * softmax): every constant and integer step then takes x's lane count, lane-wise the same arithmetic.
 */
final class VectorMath {
  private static final float LOG2E = (float) (1 / Math.log(2));
  private static final float LN2_HI = 0.693359375f; // 355/512: n * LN2_HI is exact for |n| < 2^15
  private static final float LN2_LO = (float) (Math.log(2) - 0.693359375);
  /** 1.5 * 2^23: adding it rounds to an integer, which then sits in the low mantissa bits. */
  private static final float SHIFT = 12582912f;
  private static final float EXP_LO = -104f, EXP_HI = 89f, TANH_MAX = 10f;
  private static final int DEGREE = 7;

  private final LlvmModule m;
  private final IrBuilder ib;
  private final LLVMBuilderRef b;
  /** Lanes of the value being computed (0: scalar f32); set by each public entry point from its argument. */
  private int lanes;

  VectorMath(IrBuilder ib) {
    this.m = ib.module();
    this.ib = ib;
    this.b = ib.raw();
  }

  /** e^x. */
  LLVMValueRef exp(LLVMValueRef x) {
    lanes = lanesOf(x);
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    LLVMValueRef xc = LLVMBuildSelect(b, nan, f(0), clamp(x, EXP_LO, EXP_HI), "");
    Reduced red = reduce(xc);
    LLVMValueRef p = poly(red.r, 0); // e^r
    // 2^n = 2^(n >> 1) * 2^(n - (n >> 1)): each half is a normal number for n in [-150, 129]
    LLVMValueRef n1 = LLVMBuildAShr(b, red.n, i32(1), "");
    LLVMValueRef n2 = LLVMBuildSub(b, red.n, n1, "");
    LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, p, pow2(n1), ""), pow2(n2), "");
    return LLVMBuildSelect(b, nan, x, y, "");
  }

  /** tanh(x). */
  LLVMValueRef tanh(LLVMValueRef x) {
    lanes = lanesOf(x);
    LLVMValueRef nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    LLVMValueRef xc = LLVMBuildSelect(b, nan, f(0), clamp(x, -TANH_MAX, TANH_MAX), "");
    Reduced red = reduce(LLVMBuildFMul(b, xc, f(2), ""));
    LLVMValueRef q = poly(red.r, 1); // e^r - 1
    LLVMValueRef s = pow2(red.n); // |n| <= 29 here
    LLVMValueRef e = ib.fma(s, q, LLVMBuildFSub(b, s, f(1), "")); // e^(2x) - 1 = s (e^r - 1) + (s - 1)
    LLVMValueRef t = LLVMBuildFDiv(b, e, LLVMBuildFAdd(b, e, f(2), ""), "");
    LLVMTypeRef ft = m.fnType(type(m.f32()), type(m.f32()), type(m.f32()));
    LLVMValueRef signed = ib.call(m.declare(lanes == 0 ? "llvm.copysign.f32" : "llvm.copysign.v" + lanes + "f32", ft), ft, t, x);
    return LLVMBuildSelect(b, nan, x, signed, "");
  }

  private record Reduced(LLVMValueRef n, LLVMValueRef r) {}

  /** n = round(x / ln2) as i32 and r = x - n ln2. */
  private Reduced reduce(LLVMValueRef x) {
    LLVMValueRef t = ib.fma(x, f(LOG2E), f(SHIFT));
    LLVMValueRef nf = LLVMBuildFSub(b, t, f(SHIFT), "");
    LLVMValueRef n = LLVMBuildSub(b, LLVMBuildBitCast(b, t, type(m.i32()), ""), i32(Float.floatToRawIntBits(SHIFT)), "");
    LLVMValueRef negN = LLVMBuildFNeg(b, nf, "");
    LLVMValueRef r = ib.fma(negN, f(LN2_HI), x);
    r = ib.fma(negN, f(LN2_LO), r);
    return new Reduced(n, r);
  }

  /**
   * Taylor series of e^r from term {@code from} (0: e^r, 1: e^r - 1) to r^7 by Horner's rule with fma; for
   * {@code from = 1} the result is r + r^2 (1/2 + r/6 + ...), exact in its leading term.
   */
  private LLVMValueRef poly(LLVMValueRef r, int from) {
    LLVMValueRef acc = f(invFactorial(DEGREE));
    for (int k = DEGREE - 1; k >= from + 1; k--) acc = ib.fma(acc, r, f(invFactorial(k)));
    if (from == 1) return ib.fma(LLVMBuildFMul(b, acc, r, ""), r, r); // r + (r * P) * r
    return ib.fma(acc, r, f(1)); // 1 + r * P
  }

  private static float invFactorial(int k) {
    double f = 1;
    for (int i = 2; i <= k; i++) f *= i;
    return (float) (1 / f);
  }

  /** 2^n for n in [-126, 127] from the exponent bits. */
  private LLVMValueRef pow2(LLVMValueRef n) {
    LLVMValueRef bits = LLVMBuildShl(b, LLVMBuildAdd(b, n, i32(127), ""), i32(23), "");
    return LLVMBuildBitCast(b, bits, type(m.f32()), "");
  }

  /** x limited to [lo, hi] by ordered compares (NaN passes through; callers replace it). */
  private LLVMValueRef clamp(LLVMValueRef x, float lo, float hi) {
    LLVMValueRef c = LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOLT, x, f(lo), ""), f(lo), x, "");
    return LLVMBuildSelect(b, LLVMBuildFCmp(b, LLVMRealOGT, c, f(hi), ""), f(hi), c, "");
  }

  private LLVMValueRef f(float v) { return splat(ib.f32(v)); }

  private LLVMValueRef i32(int v) { return splat(ib.i32(v)); }

  private static int lanesOf(LLVMValueRef x) {
    LLVMTypeRef t = LLVMTypeOf(x);
    return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 0;
  }

  private LLVMTypeRef type(LLVMTypeRef element) { return lanes == 0 ? element : m.vec(element, lanes); }

  /** A constant of the current lane count (a constant vector of {@code c} in every lane). */
  private LLVMValueRef splat(LLVMValueRef c) {
    if (lanes == 0) return c;
    org.bytedeco.javacpp.PointerPointer<LLVMValueRef> all = new org.bytedeco.javacpp.PointerPointer<>(lanes);
    for (int i = 0; i < lanes; i++) all.put(i, c);
    return LLVMConstVector(all, lanes);
  }
}
