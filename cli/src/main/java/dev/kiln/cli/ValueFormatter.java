package dev.kiln.cli;

import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Describes run-time values for people: a tensor's dtype, shape, first values and a checksum (the sum of all its
 * elements in double precision, so that two runs can be compared at a glance).
 */
final class ValueFormatter {
  private ValueFormatter() {}

  static final int FIRST = 8;

  /** Lines describing {@code v} (Tensor, Long, Double, Boolean, String, null, List or Tuple), under {@code title}. */
  static List<String> describe(String title, Object v) {
    List<String> out = new ArrayList<>();
    describe(title, v, "", out);
    return out;
  }

  private static void describe(String title, Object v, String indent, List<String> out) {
    switch (v) {
      case null -> out.add(indent + title + ": none");
      case Tensor t -> {
        out.add(indent + title + ": " + t.dtype().text() + Shape.sizesToString(t.shape()));
        out.add(indent + "  values: " + firstValues(t) + (t.numel() > FIRST ? " ... (first " + FIRST + " of " + t.numel() + ")" : ""));
        out.add(indent + "  checksum: " + sum(t) + " (sum of all " + t.numel() + " values as double)");
      }
      case Long l -> out.add(indent + title + ": int " + l);
      case Double d -> out.add(indent + title + ": float " + d);
      case Boolean b -> out.add(indent + title + ": bool " + b);
      case String s -> out.add(indent + title + ": str \"" + s + "\"");
      case Tuple tu -> elements(title, "tuple", tu.elements(), indent, out);
      case List<?> l -> elements(title, "list", l, indent, out);
      default -> out.add(indent + title + ": " + v.getClass().getSimpleName() + " " + v);
    }
  }

  private static void elements(String title, String kind, List<?> es, String indent, List<String> out) {
    out.add(indent + title + ": " + kind + " of " + es.size());
    for (int i = 0; i < es.size(); i++) describe("[" + i + "]", es.get(i), indent + "  ", out);
  }

  static String firstValues(Tensor t) {
    int n = (int) Math.min(FIRST, t.numel());
    List<String> vs = new ArrayList<>();
    DType d = t.dtype();
    if (d.isFloat()) {
      double[] a = t.toDoubleArray();
      // f32 values print as floats, so 0.1f shows as 0.1 rather than 0.10000000149011612.
      for (int i = 0; i < n; i++) vs.add(d == DType.F64 ? Double.toString(a[i]) : Float.toString((float) a[i]));
    } else if (d == DType.BOOL) {
      long[] a = t.toLongArray();
      for (int i = 0; i < n; i++) vs.add(a[i] != 0 ? "true" : "false");
    } else {
      long[] a = t.toLongArray();
      for (int i = 0; i < n; i++) vs.add(Long.toString(a[i]));
    }
    return "[" + String.join(", ", vs) + "]";
  }

  static double sum(Tensor t) {
    double s = 0;
    for (double x : t.toDoubleArray()) s += x;
    return s;
  }
}
