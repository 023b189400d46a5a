package dev.kiln.ir;

/**
 * Physical order of a tensor's elements. The shape in a {@link TensorType} is always logical (NCHW for images,
 * as in PyTorch); the layout says how the elements are stored, like PyTorch's memory_format.
 */
public enum Layout {
  CONTIGUOUS(null), NHWC("nhwc");

  private final String text;

  Layout(String text) { this.text = text; }

  /** Name in IR text, null for the default. */
  public String text() { return text; }

  public static Layout fromText(String text) {
    for (Layout l : values()) if (text.equals(l.text)) return l;
    return null;
  }
}
