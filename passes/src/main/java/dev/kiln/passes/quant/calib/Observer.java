package dev.kiln.passes.quant.calib;

/**
 * Watches the values one tensor takes over a calibration set and proposes the float range to quantize it to. Not
 * thread-safe; one instance per observed value.
 */
public interface Observer {
  /** Records one tensor's values (NaN is ignored). */
  void observe(float[] values);

  /** The range to quantize to, always containing 0 (as PyTorch's observers widen it); [0, 0] before any value. */
  Range range();

  /** A float interval. */
  record Range(float min, float max) {
    public Range {
      if (!(min <= max)) throw new IllegalArgumentException("range min " + min + " above max " + max);
    }

    /** The interval widened to contain 0. */
    public Range withZero() { return new Range(Math.min(min, 0f), Math.max(max, 0f)); }
  }
}
