package dev.kiln.cli;

import java.util.Arrays;

/**
 * Latency summary for {@code kiln bench}: nearest-rank percentiles over the measured calls (the cli does not depend
 * on the bench module, whose harness compares against other runtimes).
 *
 * @param count calls measured
 * @param minNanos fastest call
 * @param medianNanos 50th percentile
 * @param p90Nanos 90th percentile
 */
record BenchStats(int count, long minNanos, long medianNanos, long p90Nanos) {
  /** @param nanos one latency per call, at least one; not modified */
  static BenchStats of(long[] nanos) {
    if (nanos.length == 0) throw new IllegalArgumentException("no calls were measured");
    long[] s = nanos.clone();
    Arrays.sort(s);
    return new BenchStats(s.length, s[0], percentile(s, 50), percentile(s, 90));
  }

  /** Nearest rank: the smallest value with at least p% of the calls at or below it. */
  static long percentile(long[] sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  static String millis(long nanos) { return String.format(java.util.Locale.ROOT, "%.3f ms", nanos / 1e6); }
}
