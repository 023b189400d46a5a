package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Times several targets on the same input in one process, calling them in turn, round after round (A, B, C, A, B,
 * C ...), so load changes fall on all of them alike: {@link Race} for more than two sides. Outputs are checked by
 * the caller before ({@code run(true)} on each target) and after the race; this class only times.
 */
public final class RoundRobin {
  private RoundRobin() {}

  /**
   * @param stats one per target, in the order given
   * @param rounds timed rounds (each target called once per round)
   */
  public record Result(List<LatencyStats> stats, int rounds) {}

  /**
   * Warm-up rounds for a quarter of the budget (at least {@code plan.warmupPairs()}), then as many timed rounds as
   * the budget allows at the warm-up's late round time, within {@code plan.minPairs()..plan.maxPairs()}.
   *
   * @param targets at least one, not null
   */
  public static Result run(List<? extends BenchTarget> targets, Race.Plan plan) {
    long w0 = System.nanoTime();
    List<Long> warm = new ArrayList<>();
    do {
      long s = System.nanoTime();
      for (BenchTarget t : targets) t.run(false);
      warm.add(System.nanoTime() - s);
    } while (warm.size() < plan.warmupPairs() || (warm.size() < plan.maxPairs() && System.nanoTime() - w0 < plan.budgetNanos() / 4));
    long late = 0;
    for (int i = warm.size() / 2; i < warm.size(); i++) late += warm.get(i);
    int rounds = plan.pairsFor(late / (warm.size() - warm.size() / 2));
    long[][] ns = new long[targets.size()][rounds];
    for (int r = 0; r < rounds; r++)
      for (int k = 0; k < targets.size(); k++) {
        long s = System.nanoTime();
        targets.get(k).run(false);
        ns[k][r] = System.nanoTime() - s;
      }
    List<LatencyStats> stats = new ArrayList<>();
    for (long[] a : ns) stats.add(LatencyStats.of(a));
    return new Result(stats, rounds);
  }
}
