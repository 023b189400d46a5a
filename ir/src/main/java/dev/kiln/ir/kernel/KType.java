package dev.kiln.ir.kernel;

import dev.kiln.ir.DType;

/**
 * Scalar types of Kernel IR. Buffers hold {@code f32}, {@code i64} or {@code bool}; {@code int} is the 32-bit type
 * of loop variables and index arithmetic; {@code obj} marks a buffer that holds an opaque run-time value (a list, a
 * number, a tensor of dynamic shape) which only reference calls read or write.
 */
public enum KType {
  F32("f32"), I64("i64"), BOOL("bool"), INT("int"), OBJ("obj");

  private final String text;

  KType(String text) { this.text = text; }

  public String text() { return text; }

  /** The buffer element type for a tensor dtype, or null when buffers of that dtype are not supported. */
  public static KType of(DType d) {
    return switch (d) {
      case F32 -> F32;
      case I64 -> I64;
      case BOOL -> BOOL;
      default -> null;
    };
  }

  /** The tensor dtype of a buffer element type; throws for {@code int} and {@code obj}. */
  public DType dtype() {
    return switch (this) {
      case F32 -> DType.F32;
      case I64 -> DType.I64;
      case BOOL -> DType.BOOL;
      default -> throw new IllegalStateException(text + " is not a buffer element type");
    };
  }

  @Override public String toString() { return text; }
}
