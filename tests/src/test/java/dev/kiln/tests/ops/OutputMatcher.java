package dev.kiln.tests.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;

/**
 * Compares one interpreter output with the PyTorch value from an npy file: same dtype and shape, floats within
 * {@code ATOL + RTOL * |expected|} per element, integers and bools exactly. A Long, Double or Boolean output is
 * compared with a 0-dim int64, float64 or bool file.
 */
final class OutputMatcher {
  static final double ATOL = 1e-5;
  static final double RTOL = 1e-5;

  private OutputMatcher() {}

  /**
   * @param what names the case and output in failure messages (not null)
   * @param expected the value PyTorch computed (not null)
   * @param actual what the interpreter returned (may be null, which fails)
   */
  static void check(String what, Tensor expected, Object actual) {
    switch (actual) {
      case Tensor t -> {
        assertEquals(expected.dtype(), t.dtype(), what + ": dtype of " + describe(t) + ", expected " + describe(expected));
        assertArrayEquals(expected.shape(), t.shape(), what + ": shape of " + describe(t) + ", expected " + describe(expected));
        compareElements(what, expected, t);
      }
      case Long l -> {
        scalarFile(what, expected, DType.I64, "int");
        assertEquals(expected.toLongArray()[0], l, what + ": int value");
      }
      case Double d -> {
        scalarFile(what, expected, DType.F64, "float");
        double e = expected.toDoubleArray()[0];
        if (!close(e, d)) fail(what + ": float value " + d + ", expected " + e + " (|diff| " + Math.abs(d - e) + " > " + tolerance(e) + ")");
      }
      case Boolean b -> {
        scalarFile(what, expected, DType.BOOL, "bool");
        assertEquals(expected.toLongArray()[0] != 0, b, what + ": bool value");
      }
      case null -> fail(what + ": the interpreter returned none, expected " + describe(expected));
      default -> fail(what + ": the interpreter returned a " + actual.getClass().getSimpleName() + ", expected " + describe(expected));
    }
  }

  private static void scalarFile(String what, Tensor expected, DType dtype, String kind) {
    if (expected.dtype() != dtype || expected.shape().length != 0)
      fail(what + ": the interpreter returned an " + kind + ", but PyTorch's value is a tensor " + describe(expected));
  }

  private static void compareElements(String what, Tensor expected, Tensor actual) {
    long[] shape = expected.shape();
    if (expected.dtype().isFloat()) {
      double[] e = expected.toDoubleArray(), a = actual.toDoubleArray();
      int worst = -1;
      double worstExcess = 0;
      for (int i = 0; i < e.length; i++) {
        if (close(e[i], a[i])) continue;
        double excess = Double.isNaN(a[i] - e[i]) ? Double.POSITIVE_INFINITY : Math.abs(a[i] - e[i]) - tolerance(e[i]);
        if (worst < 0 || excess > worstExcess) {
          worst = i;
          worstExcess = excess;
        }
      }
      if (worst >= 0)
        fail(what + ": element " + index(worst, shape) + " is " + a[worst] + ", expected " + e[worst] + " (|diff| "
            + Math.abs(a[worst] - e[worst]) + " > " + tolerance(e[worst]) + "; " + count(e, a) + " of " + e.length + " elements differ)");
    } else {
      long[] e = expected.toLongArray(), a = actual.toLongArray();
      for (int i = 0; i < e.length; i++)
        if (e[i] != a[i]) fail(what + ": element " + index(i, shape) + " is " + a[i] + ", expected " + e[i] + " (exact " + expected.dtype() + ")");
    }
  }

  /** NaN matches NaN and an infinity only itself; finite values match within the tolerance. */
  static boolean close(double expected, double actual) {
    if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
    if (Double.isInfinite(expected) || Double.isInfinite(actual)) return expected == actual;
    return Math.abs(actual - expected) <= tolerance(expected);
  }

  static double tolerance(double expected) { return ATOL + RTOL * Math.abs(expected); }

  private static int count(double[] e, double[] a) {
    int n = 0;
    for (int i = 0; i < e.length; i++) if (!close(e[i], a[i])) n++;
    return n;
  }

  /** The row-major multi-index of flat position {@code flat}, e.g. [1,0,2]. */
  private static String index(long flat, long[] shape) {
    long[] idx = new long[shape.length];
    for (int d = shape.length - 1; d >= 0; d--) {
      idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
      flat = shape[d] == 0 ? 0 : flat / shape[d];
    }
    return Arrays.toString(idx).replace(" ", "");
  }

  private static String describe(Tensor t) { return t.dtype() + Arrays.toString(t.shape()).replace(" ", ""); }
}
