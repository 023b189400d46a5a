package dev.kiln.passes.quant.calib;

/**
 * A 2048-bin histogram over the running [min, max] of what was observed (when a tensor falls outside, the old counts
 * move to the bins of the widened range that hold their bin centers). The range it proposes is either:
 *
 * <ul>
 *   <li>{@code percentile}: from the 0.01th to the 99.99th percentile, clipping rare outliers;
 *   <li>{@code histogram}: the sub-range that minimizes the L2 error of quantizing the histogram to 256 levels, found
 *       as PyTorch's HistogramObserver searches it: shrink the side holding less mass step by step (1e-5 of the
 *       total per step) while the error keeps falling. The error of a candidate range integrates, for every source
 *       bin taken as uniform, the squared distance to the center of the destination level it falls in.
 * </ul>
 */
public final class HistogramObserver implements Observer {
  static final int BINS = 2048;
  private static final int LEVELS = 256;
  private static final double LOW_PERCENTILE = 1e-4, HIGH_PERCENTILE = 1 - 1e-4;

  private final boolean percentile;
  private final double[] hist = new double[BINS];
  private float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;

  public HistogramObserver(boolean percentile) { this.percentile = percentile; }

  @Override public void observe(float[] values) {
    float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
    for (float v : values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo > hi) return; // empty, or all NaN
    if (min > max) {
      min = lo;
      max = hi;
    } else if (lo < min || hi > max) {
      widen(Math.min(lo, min), Math.max(hi, max));
    }
    double width = ((double) max - min) / BINS;
    for (float v : values) if (!Float.isNaN(v)) hist[bin(v, width)]++;
  }

  private int bin(float v, double width) {
    if (width == 0) return 0;
    int b = (int) ((v - min) / width);
    return Math.max(0, Math.min(BINS - 1, b));
  }

  /** Moves the counts into the bins of [lo, hi] that hold the old bin centers. */
  private void widen(float lo, float hi) {
    double oldWidth = ((double) max - min) / BINS;
    double[] old = hist.clone();
    java.util.Arrays.fill(hist, 0);
    float oldMin = min;
    min = lo;
    max = hi;
    double width = ((double) max - min) / BINS;
    for (int i = 0; i < BINS; i++) {
      if (old[i] == 0) continue;
      float center = (float) (oldMin + (i + 0.5) * oldWidth);
      hist[bin(center, width)] += old[i];
    }
  }

  @Override public Range range() {
    if (min > max) return new Range(0f, 0f);
    double total = 0;
    for (double h : hist) total += h;
    if (total == 0 || max == min) return new Range(min, max).withZero();
    double width = ((double) max - min) / BINS;
    int[] bins = percentile ? percentileBins(total) : searchBins(total, width);
    float lo = (float) (min + width * bins[0]), hi = (float) (min + width * (bins[1] + 1));
    return new Range(Math.min(lo, hi), Math.max(lo, hi)).withZero();
  }

  private int[] percentileBins(double total) {
    int l = 0, r = BINS - 1;
    double cum = 0;
    for (int i = 0; i < BINS; i++) {
      cum += hist[i];
      if (cum >= LOW_PERCENTILE * total) {
        l = i;
        break;
      }
    }
    cum = 0;
    for (int i = 0; i < BINS; i++) {
      cum += hist[i];
      if (cum >= HIGH_PERCENTILE * total) {
        r = i;
        break;
      }
    }
    return new int[] {l, Math.max(l, r)};
  }

  /** The greedy narrowing of [start, end] (bins) while the quantization error falls. */
  private int[] searchBins(double total, double width) {
    double[] cum = new double[BINS];
    double c = 0;
    for (int i = 0; i < BINS; i++) cum[i] = c += hist[i];
    double step = 1e-5, alpha = 0, beta = 1, best = Double.POSITIVE_INFINITY;
    int start = 0, end = BINS - 1, l = 0, r = BINS - 1;
    while (alpha < beta) {
      double nextAlpha = alpha + step, nextBeta = beta - step;
      // The cumulative mass is monotone in the bin index, so the scans continue where they stopped.
      l = Math.max(l, start);
      while (l < end && cum[l] < nextAlpha * total) l++;
      r = Math.min(r, end);
      while (r > start && cum[r] > nextBeta * total) r--;
      int nextStart = start, nextEnd = end;
      if (l - start > end - r) {
        nextStart = l;
        alpha = nextAlpha;
      } else {
        nextEnd = r;
        beta = nextBeta;
      }
      if (nextStart == start && nextEnd == end) continue;
      double err = error(nextStart, nextEnd, width);
      if (err > best) break;
      best = err;
      start = nextStart;
      end = nextEnd;
    }
    return new int[] {start, end};
  }

  /** L2 error of quantizing the histogram to LEVELS levels spread over bins [start, end]. */
  private double error(int start, int end, double width) {
    double dst = width * (end - start + 1) / LEVELS;
    if (dst == 0) return 0;
    double norm = 0;
    for (int i = 0; i < BINS; i++) {
      if (hist[i] == 0) continue;
      double density = hist[i] / width;
      double begin = (i - start) * width, stop = begin + width;
      int dBegin = clampLevel(Math.floor(begin / dst)), dEnd = clampLevel(Math.floor(stop / dst));
      double beginCenter = (dBegin + 0.5) * dst, endCenter = (dEnd + 0.5) * dst;
      if (dBegin == dEnd) {
        norm += cube(density, begin - beginCenter, stop - beginCenter);
      } else {
        norm += cube(density, begin - beginCenter, dst / 2);
        norm += (dEnd - dBegin - 1) * cube(density, -dst / 2, dst / 2);
        norm += cube(density, -dst / 2, stop - endCenter);
      }
    }
    return norm;
  }

  private static int clampLevel(double v) { return (int) Math.max(0, Math.min(LEVELS - 1, v)); }

  /** The integral of density * x^2 from a to b. */
  private static double cube(double density, double a, double b) { return density * (b * b * b - a * a * a) / 3; }
}
