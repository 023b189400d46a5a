package dev.kiln.passes.quant.calib;

/** The observers a static calibration can use; {@link #create} makes a fresh one per observed value. */
public enum ObserverKind {
  /** Running min and max (PyTorch's MinMaxObserver). */
  MINMAX,
  /** A histogram and the range minimizing the L2 quantization error over it (PyTorch's HistogramObserver search). */
  HISTOGRAM,
  /** The 0.01th and 99.99th percentiles of a histogram: outliers beyond them are clipped. */
  PERCENTILE;

  public Observer create() {
    return switch (this) {
      case MINMAX -> new MinMaxObserver();
      case HISTOGRAM -> new HistogramObserver(false);
      case PERCENTILE -> new HistogramObserver(true);
    };
  }

  /** {@code minmax}, {@code histogram} or {@code percentile}. */
  public static ObserverKind parse(String s) {
    return switch (s.strip()) {
      case "minmax" -> MINMAX;
      case "histogram" -> HISTOGRAM;
      case "percentile" -> PERCENTILE;
      default -> throw new IllegalArgumentException("observer '" + s + "': expected minmax, histogram or percentile");
    };
  }

  public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
}
