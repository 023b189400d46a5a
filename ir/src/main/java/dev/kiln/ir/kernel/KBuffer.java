package dev.kiln.ir.kernel;

/**
 * A named buffer of a {@link KernelProgram}: a flat array of {@code numel} elements of {@code type}, or one opaque
 * value when the type is {@code obj}. Buffers are one array each (no shared arena): a backend allocates temps and
 * outputs per run, so concurrent runs share nothing but weights.
 *
 * @param name the name without {@code %}, unique in the program
 * @param shape the logical shape (null for {@code obj})
 * @param role where the storage comes from
 * @param source for INPUT the parameter index, for WEIGHT the weight name, for ALIAS the aliased buffer; else null
 */
public record KBuffer(String name, KType type, long[] shape, Role role, String source) {
  public enum Role {
    /** A graph parameter (copied into an array when the run starts). */
    INPUT,
    /** A named weight, read-only, loaded once when the model is made. */
    WEIGHT,
    /** Computed once when the model is made from weights (a re-laid-out weight); read-only afterwards. */
    CONST,
    /** Per-run scratch. */
    TEMP,
    /** Another buffer's storage seen with another shape (reshape of contiguous data: no copy). */
    ALIAS
  }

  public KBuffer {
    shape = shape == null ? null : shape.clone();
  }

  @Override public long[] shape() { return shape == null ? null : shape.clone(); }

  public long numel() {
    long n = 1;
    for (long s : shape) n *= s;
    return n;
  }

  /** {@code f32[1,64,56,56]} or {@code obj}. */
  public String typeText() {
    if (type == KType.OBJ) return "obj";
    return type.text() + dev.kiln.ir.Shape.sizesToString(shape);
  }
}
