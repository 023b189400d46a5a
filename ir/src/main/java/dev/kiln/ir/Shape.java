package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A tensor shape: a list of {@link Dim}s, or unranked ({@code [*]}) when even the rank is not known. */
public record Shape(List<Dim> dims) {
  public static final Shape UNRANKED = new Shape(null);
  public static final Shape SCALAR = new Shape(List.of());

  public Shape {
    if (dims != null) dims = List.copyOf(dims);
  }

  public static Shape of(long... sizes) {
    List<Dim> d = new ArrayList<>();
    for (long s : sizes) d.add(Dim.of(s));
    return new Shape(d);
  }

  public static Shape of(List<Dim> dims) { return new Shape(dims); }

  public boolean isRanked() { return dims != null; }

  public int rank() {
    if (dims == null) throw new IllegalStateException("unranked shape has no rank");
    return dims.size();
  }

  public Dim dim(int i) { return dims.get(i < 0 ? i + dims.size() : i); }

  /** True when every dim is a concrete size. */
  public boolean isStatic() {
    if (dims == null) return false;
    for (Dim d : dims) if (!d.isStatic()) return false;
    return true;
  }

  /** The concrete sizes; throws if any dim is not static. */
  public long[] sizes() {
    if (!isStatic()) throw new IllegalStateException("shape " + this + " is not static");
    long[] s = new long[dims.size()];
    for (int i = 0; i < s.length; i++) s[i] = dims.get(i).size();
    return s;
  }

  /** Number of elements, or -1 if not static. */
  public long numel() {
    if (!isStatic()) return -1;
    long n = 1;
    for (Dim d : dims) n *= d.size();
    return n;
  }

  @Override public String toString() {
    if (dims == null) return "[*]";
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < dims.size(); i++) {
      if (i > 0) sb.append(',');
      sb.append(dims.get(i));
    }
    return sb.append(']').toString();
  }

  public static String sizesToString(long[] s) { return Arrays.toString(s).replace(" ", ""); }
}
