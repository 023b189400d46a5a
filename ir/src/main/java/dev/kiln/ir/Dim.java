package dev.kiln.ir;

/**
 * One dimension of a shape: a concrete size, a named symbol such as the batch {@code N}, or unknown ({@code ?}).
 * Symbols are compared by name; two dims with the same symbol are equal at run time.
 */
public record Dim(long size, String symbol) {
  public static final Dim UNKNOWN = new Dim(-1, null);

  public Dim {
    if (symbol == null && size < -1) throw new IllegalArgumentException("negative dim " + size);
  }

  public static Dim of(long size) {
    if (size < 0) throw new IllegalArgumentException("negative dim " + size);
    return new Dim(size, null);
  }

  public static Dim sym(String name) { return new Dim(-1, name); }

  public boolean isStatic() { return symbol == null && size >= 0; }

  public boolean isSymbolic() { return symbol != null; }

  public boolean isUnknown() { return symbol == null && size < 0; }

  public boolean is(long n) { return isStatic() && size == n; }

  @Override public String toString() { return symbol != null ? symbol : size < 0 ? "?" : Long.toString(size); }
}
