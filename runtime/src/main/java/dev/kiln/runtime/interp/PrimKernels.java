package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * Scalar ops with Python semantics (int is a wrapping 64-bit Long as in TorchScript, float is Double, bool counts as int in arithmetic; any float
 * operand makes the result float), sizes, lists and tuples.
 */
final class PrimKernels {
  private PrimKernels() {}

  private static boolean isFloat(Object v) { return v instanceof Double; }

  private static double d(KernelArgs a, int i) { return ElementwiseKernels.number(a, a.get(i)); }

  private static Object arith(KernelArgs a, DoubleBinaryOperator f, LongBinaryOperator g) {
    if (isFloat(a.get(0)) || isFloat(a.get(1))) return f.applyAsDouble(d(a, 0), d(a, 1));
    return g.applyAsLong(a.longAt(0), a.longAt(1));
  }

  static Object add(KernelArgs a) { return arith(a, Double::sum, Long::sum); }

  static Object sub(KernelArgs a) { return arith(a, (x, y) -> x - y, (x, y) -> x - y); }

  static Object mul(KernelArgs a) { return arith(a, (x, y) -> x * y, (x, y) -> x * y); }

  static Object div(KernelArgs a) {
    double y = d(a, 1);
    if (y == 0) throw a.fail("ZeroDivisionError: division by zero");
    return d(a, 0) / y;
  }

  /** Python's {@code //}: rounds toward negative infinity. */
  static Object floordiv(KernelArgs a) {
    if (d(a, 1) == 0) throw a.fail("ZeroDivisionError: integer division or modulo by zero");
    return arith(a, (x, y) -> Math.floor(x / y), Math::floorDiv);
  }

  /** Python's {@code %}: the result has the sign of the divisor. */
  static Object mod(KernelArgs a) {
    if (d(a, 1) == 0) throw a.fail("ZeroDivisionError: integer division or modulo by zero");
    return arith(a, (x, y) -> {
      double r = x % y;
      return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }, Math::floorMod);
  }

  static Object pow(KernelArgs a) {
    return arith(a, Math::pow, (x, y) -> {
      if (y < 0) throw a.fail("negative exponent " + y + " for an int power; use float operands");
      return ElementwiseKernels.ipow(x, y);
    });
  }

  static Object min(KernelArgs a) { return arith(a, Math::min, Math::min); }

  static Object max(KernelArgs a) { return arith(a, Math::max, Math::max); }

  static Object neg(KernelArgs a) { return isFloat(a.get(0)) ? (Object) (-d(a, 0)) : (Object) (-a.longAt(0)); }

  /** Equality as Python: numbers compare by value (1 == 1.0 == True), others with equals, none only with none. */
  static boolean equal(Object x, Object y) {
    if ((x instanceof Long || x instanceof Double || x instanceof Boolean) && (y instanceof Long || y instanceof Double || y instanceof Boolean)) {
      if (x instanceof Double || y instanceof Double) return num(x) == num(y);
      return (long) num(x) == (long) num(y);
    }
    return Objects.equals(x, y);
  }

  private static double num(Object v) { return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue(); }

  static Object eq(KernelArgs a) { return equal(a.get(0), a.get(1)); }

  static Object ne(KernelArgs a) { return !equal(a.get(0), a.get(1)); }

  private static int compare(KernelArgs a) {
    Object x = a.get(0), y = a.get(1);
    if (x instanceof String s && y instanceof String t) return s.compareTo(t);
    if (isFloat(x) || isFloat(y)) return Double.compare(d(a, 0), d(a, 1));
    return Long.compare(a.longAt(0), a.longAt(1));
  }

  static Object lt(KernelArgs a) { return !nan(a) && compare(a) < 0; }

  static Object le(KernelArgs a) { return !nan(a) && compare(a) <= 0; }

  static Object gt(KernelArgs a) { return !nan(a) && compare(a) > 0; }

  static Object ge(KernelArgs a) { return !nan(a) && compare(a) >= 0; }

  private static boolean nan(KernelArgs a) {
    return a.get(0) instanceof Double x && x.isNaN() || a.get(1) instanceof Double y && y.isNaN();
  }

  private static boolean bool(KernelArgs a, int i) {
    if (a.get(i) instanceof Boolean b) return b;
    throw a.fail("operand " + i + " is " + Values.describe(a.get(i)) + ", expected bool");
  }

  static Object not(KernelArgs a) { return !bool(a, 0); }

  static Object and(KernelArgs a) { return bool(a, 0) && bool(a, 1); }

  static Object or(KernelArgs a) { return bool(a, 0) || bool(a, 1); }

  static Object isNone(KernelArgs a) { return a.get(0) == null; }

  /** A number, bool or one-element tensor as a double, with whether it was a float. */
  private static double scalarOf(KernelArgs a) {
    Object v = a.get(0);
    if (v instanceof Tensor t) {
      if (t.numel() != 1) throw a.fail("only a one-element tensor converts to a number, got " + Values.describe(t));
      return t.doubleAt(0);
    }
    return ElementwiseKernels.number(a, v);
  }

  /** Python's int(): floats truncate toward zero. */
  static Object toInt(KernelArgs a) {
    if (a.get(0) instanceof Long l) return l;
    if (a.get(0) instanceof Tensor t && !t.dtype().isFloat() && t.numel() == 1) return t.longAt(0);
    double v = scalarOf(a);
    if (Double.isNaN(v) || Double.isInfinite(v)) throw a.fail("cannot convert float " + v + " to int");
    return (long) v;
  }

  static Object toFloat(KernelArgs a) { return scalarOf(a); }

  static Object toBool(KernelArgs a) { return scalarOf(a) != 0; }

  static Object size(KernelArgs a) {
    Tensor t = a.tensor(0);
    return t.size(a.dim(a.attrInt("dim"), t.rank()));
  }

  static Object shape(KernelArgs a) {
    List<Object> out = new ArrayList<>();
    for (long s : a.tensor(0).shape()) out.add(s);
    return Collections.unmodifiableList(out);
  }

  static Object rank(KernelArgs a) { return (long) a.tensor(0).rank(); }

  static Object numel(KernelArgs a) { return a.tensor(0).numel(); }

  /** int to i64[], float to f64[], bool to bool[] (TorchScript's NumToTensor). */
  static Object toTensor(KernelArgs a) {
    return switch (a.get(0)) {
      case Long l -> Tensor.fromLongs(new long[] {l});
      case Double x -> Tensor.fromDoubles(new double[] {x});
      case Boolean b -> Tensor.fromBools(new boolean[] {b});
      case Object o -> throw a.fail("expected int, float or bool, got " + Values.describe(o));
    };
  }

  static Object item(KernelArgs a) {
    Tensor t = a.tensor(0);
    if (t.numel() != 1) throw a.fail("item() needs a one-element tensor, got " + Values.describe(t));
    if (t.dtype() == DType.BOOL) return t.longAt(0) != 0;
    if (t.dtype().isFloat()) return t.doubleAt(0);
    return t.longAt(0);
  }

  static Object list(KernelArgs a) { return Collections.unmodifiableList(new ArrayList<>(a.all())); }

  static Object tuple(KernelArgs a) { return new Tuple(a.all()); }

  private static Tuple tupleArg(KernelArgs a) {
    if (a.get(0) instanceof Tuple t) return t;
    throw a.fail("expected a tuple, got " + Values.describe(a.get(0)));
  }

  static Object tupleGet(KernelArgs a) {
    Tuple t = tupleArg(a);
    long i = a.attrInt("index");
    if (i < 0 || i >= t.size()) throw a.fail("index " + i + " is out of range for a tuple of " + t.size());
    return t.get((int) i);
  }

  static List<Object> unpack(KernelArgs a) { return tupleArg(a).elements(); }

  /** Negative indices count from the end, as in Python. */
  static Object listGet(KernelArgs a) {
    List<Object> l = a.list(0);
    long i = a.longAt(1);
    long at = i < 0 ? i + l.size() : i;
    if (at < 0 || at >= l.size()) throw a.fail("list index " + i + " is out of range for a list of " + l.size());
    return l.get((int) at);
  }

  static List<Object> listUnpack(KernelArgs a) {
    List<Object> l = a.list(0);
    long n = a.attrInt("n");
    if (l.size() != n) throw a.fail("list of " + l.size() + " cannot unpack into " + n + " values");
    return Arrays.asList(l.toArray());
  }

  static Object len(KernelArgs a) { return (long) a.list(0).size(); }

  static Object unwrap(KernelArgs a) {
    if (a.get(0) == null) throw a.fail("value is none, expected a value");
    return a.get(0);
  }
}
