package dev.kiln.passes.quant.calib;

/** The running min and max of everything observed (PyTorch's MinMaxObserver). */
public final class MinMaxObserver implements Observer {
  private float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;

  @Override public void observe(float[] values) {
    for (float v : values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }

  @Override public Range range() {
    return min > max ? new Range(0f, 0f) : new Range(min, max).withZero();
  }
}
