package dev.kiln.frontend.trace;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor a {@link Module} owns: a learnable weight or a buffer such as batch norm's running mean. Its value
 * is replaced by loading a state dict; while tracing, reading it through {@link #t()} records a
 * {@code const {name=...}} node named by the parameter's path in the module tree ({@code layer1.0.conv1.weight}).
 */
public final class Parameter {
  private final DType dtype;
  private final long[] shape;
  private Tensor value;

  /** @param value the initial value, not null; its dtype and shape are fixed from now on */
  public Parameter(Tensor value) {
    this.value = Objects.requireNonNull(value, "value");
    this.dtype = value.dtype();
    this.shape = value.shape();
  }

  public DType dtype() { return dtype; }

  public long[] shape() { return shape.clone(); }

  /** The current value, never null. */
  public Tensor value() { return value; }

  /**
   * Replaces the value.
   *
   * @throws IllegalArgumentException when dtype or shape differ from this parameter's
   */
  public void set(Tensor t) {
    String m = mismatch(t);
    if (m != null) throw new IllegalArgumentException(m);
    value = t;
  }

  /** What makes {@code t} unfit for this parameter, or null if it fits. */
  public String mismatch(Tensor t) {
    if (t.dtype() != dtype || !Arrays.equals(t.shape(), shape))
      return "expected " + dtype + Tensor.dims(shape) + ", got " + t.dtype() + Tensor.dims(t.shape());
    return null;
  }

  /** The value as a traced tensor: a named weight of the active trace, or a plain eager tensor outside one. */
  public T t() {
    TraceSession s = TraceSession.current();
    return s != null ? s.parameter(this) : new T(value, null, null);
  }

  @Override public String toString() { return "Parameter " + dtype + Tensor.dims(shape); }
}
