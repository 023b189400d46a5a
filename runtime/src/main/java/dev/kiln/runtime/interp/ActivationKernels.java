package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Unary elementwise ops: activations and math functions. Ops the IR marks float-only give f32 for integer inputs;
 * the others keep the dtype (integer inputs then use the long form when one is given). Computed in double.
 */
final class ActivationKernels {
  private ActivationKernels() {}

  private static Tensor map(KernelArgs a, boolean floatOnly, DoubleUnaryOperator f, LongUnaryOperator g) {
    Tensor x = a.tensor(0);
    if (x.dtype().isQuantized()) throw a.fail("quantized " + Values.describe(x) + " needs a quantized op");
    DType out = floatOnly && !x.dtype().isFloat() ? DType.F32 : x.dtype();
    if (!out.isFloat() && g != null) {
      long[] v = x.toLongArray();
      for (int i = 0; i < v.length; i++) v[i] = g.applyAsLong(v[i]);
      return Tensor.ofLongs(out, v, x.shape());
    }
    double[] v = x.to(out.isFloat() ? out : DType.F64).toDoubleArray();
    for (int i = 0; i < v.length; i++) v[i] = f.applyAsDouble(v[i]);
    return Tensor.ofDoubles(out, v, x.shape());
  }

  static Object relu(KernelArgs a) { return map(a, false, x -> x > 0 ? x : x == x ? 0 : x, x -> Math.max(x, 0)); }

  static Object hardtanh(KernelArgs a) {
    double lo = a.attrFloat("min_val"), hi = a.attrFloat("max_val");
    return map(a, false, x -> clamp(x, lo, hi), null);
  }

  /** Absent bounds mean unbounded; NaN stays NaN. */
  static Object clamp(KernelArgs a) {
    double lo = a.attrIsNone("min") ? Double.NEGATIVE_INFINITY : a.attrFloat("min");
    double hi = a.attrIsNone("max") ? Double.POSITIVE_INFINITY : a.attrFloat("max");
    return map(a, false, x -> clamp(x, lo, hi), null);
  }

  static double clamp(double x, double lo, double hi) {
    if (x != x) return x;
    return Math.min(Math.max(x, lo), hi);
  }

  static Object leakyRelu(KernelArgs a) {
    double slope = a.attrFloat("negative_slope");
    return map(a, true, x -> x > 0 ? x : x * slope, null);
  }

  private static final double SQRT1_2 = Math.sqrt(0.5), SQRT_2_PI = Math.sqrt(2 / Math.PI);

  /** "none": x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)); "tanh": x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))). */
  static Object gelu(KernelArgs a) {
    String mode = a.attrStr("approximate");
    return switch (mode) {
      case "none" -> map(a, true, x -> 0.5 * x * (1 + erf(x * SQRT1_2)), null);
      case "tanh" -> map(a, true, x -> 0.5 * x * (1 + Math.tanh(SQRT_2_PI * (x + 0.044715 * x * x * x))), null);
      default -> throw a.fail("approximate is \"" + mode + "\", expected \"none\" or \"tanh\"");
    };
  }

  static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

  static Object silu(KernelArgs a) { return map(a, true, x -> x * sigmoid(x), null); }

  static Object sigmoid(KernelArgs a) { return map(a, true, ActivationKernels::sigmoid, null); }

  static Object hardsigmoid(KernelArgs a) { return map(a, true, x -> clamp(x + 3, 0, 6) / 6, null); }

  static Object hardswish(KernelArgs a) { return map(a, true, x -> x * clamp(x + 3, 0, 6) / 6, null); }

  static Object tanh(KernelArgs a) { return map(a, true, Math::tanh, null); }

  static Object exp(KernelArgs a) { return map(a, true, Math::exp, null); }

  static Object log(KernelArgs a) { return map(a, true, Math::log, null); }

  static Object sqrt(KernelArgs a) { return map(a, true, Math::sqrt, null); }

  static Object rsqrt(KernelArgs a) { return map(a, true, x -> 1 / Math.sqrt(x), null); }

  static Object erf(KernelArgs a) { return map(a, true, ActivationKernels::erf, null); }

  static Object neg(KernelArgs a) { return map(a, false, x -> -x, x -> -x); }

  static Object abs(KernelArgs a) { return map(a, false, Math::abs, Math::abs); }

  /** As torch.logical_not: zero is false, anything else (NaN included) true; the result is bool. */
  static Object logicalNot(KernelArgs a) {
    Tensor x = a.tensor(0);
    double[] v = x.toDoubleArray();
    long[] r = new long[v.length];
    for (int i = 0; i < v.length; i++) r[i] = v[i] == 0 ? 1 : 0;
    return Tensor.ofLongs(DType.BOOL, r, x.shape());
  }

  /** Eval mode: identity. */
  static Object dropout(KernelArgs a) { return a.tensor(0); }

  /**
   * The error function to about 1e-15: for |x| < 2.5 the all-positive series
   * {@code erf x = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))}; beyond, erfc's continued fraction
   * {@code erfc x = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))}.
   */
  static double erf(double x) {
    if (x != x) return x;
    double ax = Math.abs(x);
    if (ax >= 6) return Math.copySign(1, x);
    double r;
    if (ax < 2.5) {
      double x2 = ax * ax, term = ax, sum = ax;
      for (int n = 1; n < 200 && term > sum * 1e-17; n++) {
        term *= 2 * x2 / (2 * n + 1);
        sum += term;
      }
      r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
    } else {
      double f = ax;
      for (int k = 120; k >= 1; k--) f = ax + (k / 2.0) / f;
      r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
    }
    return Math.copySign(r, x);
  }
}
