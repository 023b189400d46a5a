package dev.kiln.ir;

/** Non-tensor scalar kinds. {@code INT} is a 64-bit integer and {@code FLOAT} a double, as in TorchScript. */
public enum PrimType implements Type {
  INT("int"), FLOAT("float"), BOOL("bool"), STR("str"), NONE("none");

  private final String text;

  PrimType(String text) { this.text = text; }

  @Override public String text() { return text; }

  public static PrimType fromText(String t) {
    for (PrimType p : values()) if (p.text.equals(t)) return p;
    return null;
  }

  @Override public String toString() { return text; }
}
