package dev.kiln.codegen.llvm.quant;

/**
 * LLVM IR text of the scalar pieces the native int8 nodes share with the reference kernels, written with the same
 * float and double operations in the same order (no fast-math flags, so nothing is contracted or reassociated) so they
 * round as {@code dev.kiln.runtime.interp.QuantKernels} / {@code QuantNnKernels} do:
 *
 * <ul>
 *   <li>{@code @q8_dyn_params(ptr x, i64 count, ptr out)}: q.linear_dynamic's per-call qu8 parameters
 *       ({@code dynamicParams}: min and max as {@code Math.min/max} — {@code llvm.minimum/maximum}, NaN propagating,
 *       -0 below +0 — then {@code chooseParams(min, max, 0, 255)} in double); writes float scale, float 1/scale and
 *       i32 zero point at out, out + 4, out + 8.
 *   <li>{@code @q8_quant(float x, float inv, float zp) -> i32}: {@code quantize(x, inv, zp, 0, 255)}:
 *       {@code zp + rint(x * inv)} in float, NaN or |v| >= 2^63 giving 0 (INT64_MIN clamped), else clamped to [0, 255].
 *   <li>{@code @q8_requant(i32 v, float m, i32 zp, i32 lo, i32 hi) -> i32}: qnnpack's {@code cvtps(float(v) * m) + zp}
 *       clamped to [lo, hi]; cvtps rounds half to even and gives INT32_MIN outside int32 (the clamp is done before
 *       adding zp, against lo - zp and hi - zp, so the sum cannot wrap).
 * </ul>
 *
 * Conversions to int use a plain {@code fptosi} only where the value is known to be in range (other lanes are replaced
 * by a select), so they vectorize to {@code vcvttps2dq}; LLVM scalarizes the saturating intrinsic.
 */
final class Int8ScalarIr {
  private Int8ScalarIr() {}

  /** The float 6.1e-5f (QuantKernels.SMALL_SCALE) as an exact double and float literal. */
  private static String smallScale() {
    return "0x" + Long.toHexString(Double.doubleToRawLongBits(6.1e-5f)).toUpperCase();
  }

  static String functions() {
    return """
        declare float @llvm.minimum.f32(float, float)
        declare float @llvm.maximum.f32(float, float)
        declare float @llvm.rint.f32(float)
        declare double @llvm.rint.f64(double)
        declare float @llvm.fabs.f32(float)
        declare double @llvm.fabs.f64(double)
        declare i64 @llvm.fptosi.sat.i64.f64(double)
        declare i32 @llvm.fptosi.sat.i32.f32(float)

        define internal void @q8_dyn_params(ptr noalias %x, i64 %cnt, ptr noalias %out) nounwind {
        entry:
          %empty = icmp eq i64 %cnt, 0
          br i1 %empty, label %choose, label %loop
        loop:
          %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
          %mn = phi float [ 0x7FF0000000000000, %entry ], [ %mn1, %loop ]
          %mx = phi float [ 0xFFF0000000000000, %entry ], [ %mx1, %loop ]
          %p = getelementptr float, ptr %x, i64 %i
          %v = load float, ptr %p, align 4
          %mn1 = call float @llvm.minimum.f32(float %mn, float %v)
          %mx1 = call float @llvm.maximum.f32(float %mx, float %v)
          %i1 = add nuw i64 %i, 1
          %more = icmp ult i64 %i1, %cnt
          br i1 %more, label %loop, label %choose
        choose:
          %mnA = phi float [ 0.0, %entry ], [ %mn1, %loop ]
          %mxA = phi float [ 0.0, %entry ], [ %mx1, %loop ]
          %mn0 = call float @llvm.minimum.f32(float %mnA, float 0.0)
          %mx0 = call float @llvm.maximum.f32(float %mxA, float 0.0)
          %mxd = fpext float %mx0 to double
          %mnd = fpext float %mn0 to double
          %rng = fsub double %mxd, %mnd
          %sc0 = fdiv double %rng, 2.550000e+02
          %sf = fptrunc double %sc0 to float
          %isz = fcmp oeq float %sf, 0.0
          %inv1 = fdiv float 1.0, %sf
          %inva = call float @llvm.fabs.f32(float %inv1)
          %isinf = fcmp oeq float %inva, 0x7FF0000000000000
          %bad = or i1 %isz, %isinf
          %sc1 = select i1 %bad, double 1.000000e-01, double %sc0
          %small = fcmp olt double %sc1, SMALL
          br i1 %small, label %amp, label %zp
        amp:
          %org = fptrunc double %sc1 to float
          %mnz = fcmp oeq float %mn0, 0.0
          br i1 %mnz, label %amp_min0, label %amp_1
        amp_min0:
          br label %zp
        amp_1:
          %mxz = fcmp oeq float %mx0, 0.0
          br i1 %mxz, label %amp_max0, label %amp_both
        amp_max0:
          br label %zp
        amp_both:
          %ampf = fdiv float SMALL, %org
          %mnm = fmul float %mn0, %ampf
          %mxm = fmul float %mx0, %ampf
          br label %zp
        zp:
          %scale = phi double [ %sc1, %choose ], [ SMALL, %amp_min0 ], [ SMALL, %amp_max0 ], [ SMALL, %amp_both ]
          %fmin = phi float [ %mn0, %choose ], [ %mn0, %amp_min0 ], [ SMALLNEG255, %amp_max0 ], [ %mnm, %amp_both ]
          %fmax = phi float [ %mx0, %choose ], [ SMALL255, %amp_min0 ], [ %mx0, %amp_max0 ], [ %mxm, %amp_both ]
          %dmin = fpext float %fmin to double
          %dmax = fpext float %fmax to double
          %qmin = fdiv double %dmin, %scale
          %qmax = fdiv double %dmax, %scale
          %zpMin = fsub double 0.0, %qmin
          %zpMax = fsub double 2.550000e+02, %qmax
          %aMin = call double @llvm.fabs.f64(double %qmin)
          %aMax = call double @llvm.fabs.f64(double %qmax)
          %errMin = fsub double 0.0, %aMin
          %errMax = fsub double 2.550000e+02, %aMax
          %useMin = fcmp olt double %errMin, %errMax
          %init = select i1 %useMin, double %zpMin, double %zpMax
          %r = call double @llvm.rint.f64(double %init)
          %ri = call i64 @llvm.fptosi.sat.i64.f64(double %r)
          %below = fcmp olt double %init, 0.0
          %above = fcmp ogt double %init, 2.550000e+02
          %z0 = select i1 %above, i64 255, i64 %ri
          %z1 = select i1 %below, i64 0, i64 %z0
          %z = trunc i64 %z1 to i32
          %xs = fptrunc double %scale to float
          %inv = fdiv float 1.0, %xs
          store float %xs, ptr %out, align 4
          %o1 = getelementptr i8, ptr %out, i64 4
          store float %inv, ptr %o1, align 4
          %o2 = getelementptr i8, ptr %out, i64 8
          store i32 %z, ptr %o2, align 4
          ret void
        }

        define internal i32 @q8_quant(float %x, float %inv, float %zp) alwaysinline nounwind {
          %m = fmul float %x, %inv
          %r = call float @llvm.rint.f32(float %m)
          %v = fadd float %zp, %r
          %a = call float @llvm.fabs.f32(float %v)
          %ok = fcmp olt float %a, 0x43E0000000000000
          %lo = fcmp olt float %v, 0.0
          %hi = fcmp ogt float %v, 2.550000e+02
          %c0 = select i1 %hi, float 2.550000e+02, float %v
          %c1 = select i1 %lo, float 0.0, float %c0
          %i = fptosi float %c1 to i32
          %q = select i1 %ok, i32 %i, i32 0
          ret i32 %q
        }

        define internal i32 @q8_requant(i32 %v, float %m, i32 %zp, i32 %lo, i32 %hi) alwaysinline nounwind {
          %f = sitofp i32 %v to float
          %p = fmul float %f, %m
          %r = call float @llvm.rint.f32(float %p)
          %in0 = fcmp oge float %r, 0xC1E0000000000000
          %in1 = fcmp olt float %r, 0x41E0000000000000
          %in = and i1 %in0, %in1
          %ri = fptosi float %r to i32
          %c = select i1 %in, i32 %ri, i32 -2147483648
          %lz = sub i32 %lo, %zp
          %hz = sub i32 %hi, %zp
          %gt = icmp sgt i32 %c, %hz
          %c1 = select i1 %gt, i32 %hz, i32 %c
          %lt = icmp slt i32 %c1, %lz
          %c2 = select i1 %lt, i32 %lz, i32 %c1
          %q = add i32 %c2, %zp
          ret i32 %q
        }

        """.replace("SMALLNEG255", floatHex(-6.1e-5f * 255)).replace("SMALL255", floatHex(6.1e-5f * 255))
        .replace("SMALL", smallScale());
  }

  /** A float constant in LLVM's hex form (the double with the float's value). */
  static String floatHex(float f) {
    return "0x" + Long.toHexString(Double.doubleToRawLongBits(f)).toUpperCase();
  }
}
