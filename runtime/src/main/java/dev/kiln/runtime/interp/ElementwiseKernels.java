package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * Binary elementwise ops, comparisons, where, masked_fill and casts, with PyTorch broadcasting and type promotion.
 * Floating results are computed in double from operands already rounded to the compute dtype, so f32 add, sub, mul
 * and div round exactly as f32 arithmetic does; integer results are computed in long.
 */
final class ElementwiseKernels {
  private ElementwiseKernels() {}

  /** Applies {@code f} (floating compute) or {@code g} (integer/bool compute) with broadcasting. */
  static Tensor map2(KernelArgs a, Object x, Object y, DType compute, DType out, DoubleBinaryOperator f, LongBinaryOperator g) {
    Tensor tx = Promotion.asTensor(a, x, compute).to(compute), ty = Promotion.asTensor(a, y, compute).to(compute);
    long[] shape = Broadcasting.shape(a, tx.shape(), ty.shape());
    int[] mx = Broadcasting.index(tx.shape(), shape), my = Broadcasting.index(ty.shape(), shape);
    int n = Math.toIntExact(Tensor.numel(shape));
    if (compute.isFloat()) {
      double[] xa = tx.toDoubleArray(), ya = ty.toDoubleArray(), r = new double[n];
      for (int i = 0; i < n; i++) r[i] = f.applyAsDouble(xa[mx == null ? i : mx[i]], ya[my == null ? i : my[i]]);
      return Tensor.ofDoubles(out, r, shape);
    }
    long[] xa = tx.toLongArray(), ya = ty.toLongArray(), r = new long[n];
    for (int i = 0; i < n; i++) r[i] = g.applyAsLong(xa[mx == null ? i : mx[i]], ya[my == null ? i : my[i]]);
    return Tensor.ofLongs(out, r, shape);
  }

  private static Tensor arith(KernelArgs a, DoubleBinaryOperator f, LongBinaryOperator g) {
    DType d = Promotion.promote(a, a.all());
    return map2(a, a.get(0), a.get(1), d, d, f, g);
  }

  /** a + alpha * b */
  static Object add(KernelArgs a) {
    double alpha = a.attrFloat("alpha");
    long ia = (long) alpha;
    if (alpha == 1) return arith(a, Double::sum, Long::sum);
    return arith(a, (x, y) -> x + alpha * y, (x, y) -> x + ia * y);
  }

  /** a - alpha * b */
  static Object sub(KernelArgs a) {
    double alpha = a.attrFloat("alpha");
    long ia = (long) alpha;
    return arith(a, (x, y) -> x - alpha * y, (x, y) -> x - ia * y);
  }

  static Object mul(KernelArgs a) { return arith(a, (x, y) -> x * y, (x, y) -> x * y); }

  /** True division gives a float (f32 for integers); "trunc" and "floor" round the quotient and keep integers. */
  static Object div(KernelArgs a) {
    DType d = Promotion.promote(a, a.all());
    if (a.attrIsNone("rounding_mode")) {
      DType out = d.isFloat() ? d : DType.F32;
      return map2(a, a.get(0), a.get(1), out, out, (x, y) -> x / y, null);
    }
    String mode = a.attrStr("rounding_mode");
    return switch (mode) {
      case "trunc" -> map2(a, a.get(0), a.get(1), d, d, (x, y) -> truncate(x / y), (x, y) -> {
        if (y == 0) throw a.fail("ZeroDivisionError: integer division by zero");
        return x / y;
      });
      case "floor" -> map2(a, a.get(0), a.get(1), d, d, (x, y) -> Math.floor(x / y), (x, y) -> {
        if (y == 0) throw a.fail("ZeroDivisionError: integer division by zero");
        return Math.floorDiv(x, y);
      });
      default -> throw a.fail("rounding_mode is \"" + mode + "\", expected \"trunc\" or \"floor\"");
    };
  }

  private static double truncate(double v) { return v < 0 ? Math.ceil(v) : Math.floor(v); }

  static Object pow(KernelArgs a) {
    return arith(a, Math::pow, (x, y) -> {
      if (y < 0) throw a.fail("integers to negative integer powers are not allowed");
      return ipow(x, y);
    });
  }

  static long ipow(long base, long exp) {
    long r = 1;
    while (exp > 0) {
      if ((exp & 1) != 0) r *= base;
      base *= base;
      exp >>= 1;
    }
    return r;
  }

  static Object maximum(KernelArgs a) { return arith(a, Math::max, Math::max); }

  static Object minimum(KernelArgs a) { return arith(a, Math::min, Math::min); }

  /** Comparisons promote both sides, then compare in the promoted type. */
  private static Tensor compare(KernelArgs a, DoubleBinaryOperator f, LongBinaryOperator g) {
    DType d = Promotion.promote(a, a.all());
    return map2(a, a.get(0), a.get(1), d, DType.BOOL, f, g);
  }

  static Object eq(KernelArgs a) { return compare(a, (x, y) -> x == y ? 1 : 0, (x, y) -> x == y ? 1 : 0); }

  static Object ne(KernelArgs a) { return compare(a, (x, y) -> x != y ? 1 : 0, (x, y) -> x != y ? 1 : 0); }

  static Object lt(KernelArgs a) { return compare(a, (x, y) -> x < y ? 1 : 0, (x, y) -> x < y ? 1 : 0); }

  static Object le(KernelArgs a) { return compare(a, (x, y) -> x <= y ? 1 : 0, (x, y) -> x <= y ? 1 : 0); }

  static Object gt(KernelArgs a) { return compare(a, (x, y) -> x > y ? 1 : 0, (x, y) -> x > y ? 1 : 0); }

  static Object ge(KernelArgs a) { return compare(a, (x, y) -> x >= y ? 1 : 0, (x, y) -> x >= y ? 1 : 0); }

  /** cond ? a : b, all three broadcast; a and b promote. */
  static Object where(KernelArgs a) {
    Tensor cond = a.tensor(0);
    if (cond.dtype() != DType.BOOL) throw a.fail("cond must be bool, got " + Values.describe(cond));
    DType d = Promotion.promote(a, List.of(a.get(1), a.get(2)));
    Tensor x = Promotion.asTensor(a, a.get(1), d).to(d), y = Promotion.asTensor(a, a.get(2), d).to(d);
    long[] shape = Broadcasting.shape(a, cond.shape(), x.shape(), y.shape());
    int[] mc = Broadcasting.index(cond.shape(), shape), mx = Broadcasting.index(x.shape(), shape), my = Broadcasting.index(y.shape(), shape);
    long[] c = cond.toLongArray();
    int n = Math.toIntExact(Tensor.numel(shape));
    if (d.isFloat()) {
      double[] xa = x.toDoubleArray(), ya = y.toDoubleArray(), r = new double[n];
      for (int i = 0; i < n; i++) r[i] = c[mc == null ? i : mc[i]] != 0 ? xa[mx == null ? i : mx[i]] : ya[my == null ? i : my[i]];
      return Tensor.ofDoubles(d, r, shape);
    }
    long[] xa = x.toLongArray(), ya = y.toLongArray(), r = new long[n];
    for (int i = 0; i < n; i++) r[i] = c[mc == null ? i : mc[i]] != 0 ? xa[mx == null ? i : mx[i]] : ya[my == null ? i : my[i]];
    return Tensor.ofLongs(d, r, shape);
  }

  /** x where mask is false, value where true; the mask broadcasts to x's shape, the value is a number or 0-dim tensor. */
  static Object maskedFill(KernelArgs a) {
    Tensor x = a.tensor(0), mask = a.tensor(1);
    if (mask.dtype() != DType.BOOL) throw a.fail("mask must be bool, got " + Values.describe(mask));
    Object v = a.get(2);
    if (v instanceof Tensor t && t.numel() != 1) throw a.fail("value must be a number or a one-element tensor, got " + Values.describe(t));
    // Out of place, as torch.masked_fill: x and mask broadcast together.
    long[] shape = Broadcasting.shape(a, x.shape(), mask.shape());
    int[] mm = Broadcasting.index(mask.shape(), shape), xm = Broadcasting.index(x.shape(), shape);
    long[] m = mask.toLongArray();
    int n = Math.toIntExact(Tensor.numel(shape));
    if (x.dtype().isFloat()) {
      double fill = v instanceof Tensor t ? t.doubleAt(0) : number(a, v);
      double[] xs = x.toDoubleArray(), r = new double[n];
      for (int i = 0; i < n; i++) r[i] = m[mm == null ? i : mm[i]] != 0 ? fill : xs[xm == null ? i : xm[i]];
      return Tensor.ofDoubles(x.dtype(), r, shape);
    }
    long fill = v instanceof Tensor t ? t.longAt(0) : (long) number(a, v);
    long[] xs = x.toLongArray(), r = new long[n];
    for (int i = 0; i < n; i++) r[i] = m[mm == null ? i : mm[i]] != 0 ? fill : xs[xm == null ? i : xm[i]];
    return Tensor.ofLongs(x.dtype(), r, shape);
  }

  static double number(KernelArgs a, Object v) {
    return switch (v) {
      case Double d -> d;
      case Long l -> l;
      case Boolean b -> b ? 1 : 0;
      default -> throw a.fail("expected a number, got " + Values.describe(v));
    };
  }

  /** Casts; float to integer rounds toward zero, anything to bool is != 0. */
  static Object to(KernelArgs a) { return a.tensor(0).to(a.node().attrDType("dtype")).contiguous(); }
}
