package dev.kiln.ir;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A compile-time attribute of a node. Text forms: {@code 3}, {@code 1.5}, {@code true}, {@code "name"},
 * {@code [1,2]}, {@code [0.5,1.0]}, {@code f32} (a dtype), {@code none}.
 */
public sealed interface Attr {
  /** The IR text of this attribute. */
  String text();

  record Int(long value) implements Attr {
    @Override public String text() { return Long.toString(value); }
  }

  record Float(double value) implements Attr {
    @Override public String text() { return formatDouble(value); }
  }

  record Bool(boolean value) implements Attr {
    @Override public String text() { return Boolean.toString(value); }
  }

  record Str(String value) implements Attr {
    @Override public String text() { return quote(value); }
  }

  record Ints(List<Long> values) implements Attr {
    public Ints { values = List.copyOf(values); }

    public long[] toArray() { return values.stream().mapToLong(Long::longValue).toArray(); }

    public int[] toIntArray() { return values.stream().mapToInt(Long::intValue).toArray(); }

    @Override public String text() { return values.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]")); }
  }

  record Floats(List<Double> values) implements Attr {
    public Floats { values = List.copyOf(values); }

    public double[] toArray() { return values.stream().mapToDouble(Double::doubleValue).toArray(); }

    @Override public String text() { return values.stream().map(Attr::formatDouble).collect(Collectors.joining(",", "[", "]")); }
  }

  record DTypeAttr(DType value) implements Attr {
    @Override public String text() { return value.text(); }
  }

  /** The absence of a value, for optional attributes given explicitly as none. */
  record None() implements Attr {
    @Override public String text() { return "none"; }
  }

  static Attr of(long v) { return new Int(v); }

  static Attr of(double v) { return new Float(v); }

  static Attr of(boolean v) { return new Bool(v); }

  static Attr of(String v) { return new Str(v); }

  static Attr ints(long... v) {
    Long[] boxed = new Long[v.length];
    for (int i = 0; i < v.length; i++) boxed[i] = v[i];
    return new Ints(List.of(boxed));
  }

  static Attr floats(double... v) {
    Double[] boxed = new Double[v.length];
    for (int i = 0; i < v.length; i++) boxed[i] = v[i];
    return new Floats(List.of(boxed));
  }

  /**
   * Shortest text that parses back to the same double, always with a '.' or exponent so it reads as a float:
   * {@code 1.0}, {@code 1.0E-5}, {@code inf}, {@code -inf}, {@code nan}.
   */
  static String formatDouble(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    return Double.toString(d);
  }

  /** A double-quoted string with {@code \\}, {@code \"}, {@code \n}, {@code \t} escaped. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
    return sb.append('"').toString();
  }
}
