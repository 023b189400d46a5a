package dev.kiln.ir;

/** A tensor: element type, logical shape, physical layout, and quantization parameters for {@code q*} dtypes. */
public record TensorType(DType dtype, Shape shape, Layout layout, Quant quant) implements Type {
  public TensorType {
    if (dtype == null || shape == null || layout == null) throw new IllegalArgumentException("null in tensor type");
    if (dtype.isQuantized() != (quant != null))
      throw new IllegalArgumentException(dtype + (quant == null ? " needs quantization parameters" : " is not quantized"));
  }

  public int rank() { return shape.rank(); }

  public TensorType withShape(Shape s) { return new TensorType(dtype, s, layout, quant); }

  public TensorType withDType(DType d) { return new TensorType(d, shape, layout, d.isQuantized() ? quant : null); }

  public TensorType withLayout(Layout l) { return new TensorType(dtype, shape, l, quant); }

  @Override public String text() {
    StringBuilder sb = new StringBuilder(dtype.text()).append(shape);
    if (layout.text() != null || quant != null) {
      sb.append('{');
      if (layout.text() != null) sb.append(layout.text());
      if (quant != null) sb.append(layout.text() != null ? "," : "").append(quant);
      sb.append('}');
    }
    return sb.toString();
  }

  @Override public String toString() { return text(); }
}
