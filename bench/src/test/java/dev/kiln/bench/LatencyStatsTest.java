package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LatencyStatsTest {
  @Test
  void medianP90MinLikeNumpy() {
    long[] ns = {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000};
    LatencyStats s = LatencyStats.of(ns);
    assertEquals(3.0, s.medianMs(), 1e-12);
    assertEquals(4.6, s.p90Ms(), 1e-12); // numpy.percentile([1,2,3,4,5], 90) == 4.6
    assertEquals(1.0, s.minMs(), 1e-12);
    assertEquals(5_000_000, ns[0], "input is not reordered");
  }

  @Test
  void throughputAndRatio() {
    LatencyStats a = LatencyStats.of(new long[] {2_000_000});
    LatencyStats b = LatencyStats.of(new long[] {4_000_000});
    assertEquals(4000.0, a.throughput(8), 1e-9);
    assertEquals(0.5, a.ratioTo(b), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> LatencyStats.of(new long[0]));
  }
}
