package dev.kiln.bench;

import java.util.Arrays;

/** Summary of measured latencies in nanoseconds: median, p90, min, and throughput at a batch size. */
public record LatencyStats(int samples, double medianMs, double p90Ms, double minMs) {
  /** @param nanos at least one sample; the array is not modified */
  public static LatencyStats of(long[] nanos) {
    if (nanos.length == 0) throw new IllegalArgumentException("no samples");
    long[] s = nanos.clone();
    Arrays.sort(s);
    return new LatencyStats(s.length, quantile(s, 0.5) / 1e6, quantile(s, 0.9) / 1e6, s[0] / 1e6);
  }

  /** Linear interpolation between the closest ranks, as numpy's default percentile. */
  static double quantile(long[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  /** Items per second at the median latency. */
  public double throughput(int batch) { return batch * 1000.0 / medianMs; }

  /** Ratio of this median to a peer's median (below 1 means faster than the peer). */
  public double ratioTo(LatencyStats peer) { return medianMs / peer.medianMs; }
}
