package dev.kiln.ir;

/** Element types of tensors. {@code q*} types are quantized and carry a {@link Quant} in their tensor type. */
public enum DType {
  F32("f32", 4), F64("f64", 8), F16("f16", 2), BF16("bf16", 2),
  I8("i8", 1), U8("u8", 1), I16("i16", 2), I32("i32", 4), I64("i64", 8), BOOL("bool", 1),
  QI8("qi8", 1), QU8("qu8", 1), QI32("qi32", 4);

  private final String text;
  private final int byteSize;

  DType(String text, int byteSize) {
    this.text = text;
    this.byteSize = byteSize;
  }

  /** The name used in IR text, e.g. {@code f32}. */
  public String text() { return text; }

  public int byteSize() { return byteSize; }

  public boolean isFloat() { return this == F32 || this == F64 || this == F16 || this == BF16; }

  public boolean isQuantized() { return this == QI8 || this == QU8 || this == QI32; }

  /** Plain (not quantized) integer types, bool excluded. */
  public boolean isInteger() { return this == I8 || this == U8 || this == I16 || this == I32 || this == I64; }

  /** @return the dtype named {@code text}, or null if there is none. */
  public static DType fromText(String text) {
    for (DType d : values()) if (d.text.equals(text)) return d;
    return null;
  }

  @Override public String toString() { return text; }
}
