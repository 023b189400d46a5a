package dev.kiln.bench;

import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Times two targets on the same input in one process, alternating A, B, A, B ... so that drift (other processes'
 * load, frequency changes, GC) falls on both sides alike.
 *
 * <p>Order of calls: each side's first call ({@link #first}: timed alone as the first-call latency, and its output
 * checked against the reference: a wrong answer throws before anything is timed); then {@link Plan#warmupPairs}
 * untimed pairs whose duration sets the iteration count for the budget; then the timed pairs; then one more checked
 * call per side, so a runtime that corrupts its state while running is caught too.
 *
 * <p>A first call is timed as a timed call is: the run alone, as {@link BenchTarget#lastRunNanos} reports it, not
 * the copy of its output for the check (which the timed calls do not make either). The bench makes each side's first
 * call right after that side's own setup ({@link #first}, then {@link #race}), so neither side's first call follows
 * the other side's setup, and no first call follows the bench's own one-time work either ({@link #prime}).
 */
public final class Race {
  private Race() {}

  /**
   * How long to race.
   *
   * @param warmupPairs fewest untimed A,B pairs before timing (at least 1); warm-up then goes on until a quarter of
   *     the budget has passed (so the JIT has compiled a fast model's hot paths) or {@code maxPairs} pairs ran;
   *     its pairs also estimate the time of one pair
   * @param budgetNanos time the timed pairs should take in all
   * @param minPairs fewest timed pairs, whatever the budget (at least 1)
   * @param maxPairs most timed pairs, whatever the budget
   */
  public record Plan(int warmupPairs, long budgetNanos, int minPairs, int maxPairs) {
    public Plan {
      if (warmupPairs < 1 || minPairs < 1 || maxPairs < minPairs)
        throw new IllegalArgumentException("bad plan " + warmupPairs + "/" + minPairs + "/" + maxPairs);
    }

    /** Timed pairs for a measured per-pair time. */
    int pairsFor(long nanosPerPair) {
      long n = budgetNanos / Math.max(1, nanosPerPair);
      return (int) Math.max(minPairs, Math.min(maxPairs, n));
    }
  }

  /**
   * Both sides' results.
   *
   * @param firstCallMs each side's first call (includes lazy initialisation and cold code)
   * @param maxAbsDiff each side's largest difference from the reference on its first call
   */
  public record Result(LatencyStats a, LatencyStats b, double firstCallMsA, double firstCallMsB,
                       double maxAbsDiffA, double maxAbsDiffB, int pairs) {
    /** A's median over B's (below 1: A is faster). */
    public double ratio() { return a.ratioTo(b); }
  }

  /**
   * One side's first call.
   *
   * @param ms its time in milliseconds (includes lazy initialisation and cold code, not the output's copy)
   * @param maxAbsDiff its output's largest difference from the reference
   */
  public record First(double ms, double maxAbsDiff) {}

  /**
   * Loads and links, once before the first cell, the bench's own code that runs between Kiln's setup and its first
   * call, by a few calls on a stand-in model: {@link KilnTarget} and its run paths, the JVM backend's wrapper
   * ({@link KilnTarget#direct}) and {@link Cell.Setup}. Otherwise the first cell did it right there: about 6 ms of
   * class loading and linking after Kiln's warm-up, enough to push Kiln's code and weights out of the CPU caches
   * (mlp b1's first call measured 6-11x its 2 us median), while every later cell found it done. With it, each
   * cell's first call follows its own setup directly, as ORT's does; what is timed is unchanged.
   */
  public static void prime() {
    Tensor x = Tensor.fromFloats(new float[] {1f}, 1);
    List<Object> out = List.of(x);
    try (KilnTarget t = new KilnTarget("kiln-prime", KilnTarget.direct(in -> out), x)) {
      first("prime", t, new float[] {1f}, 0);
      t.run(false);
      t.run(true);
    }
    Objects.requireNonNull(Cell.Setup.NONE);
  }

  /**
   * Makes {@code t}'s first call, times it and checks its output. Call it right after the target's setup.
   *
   * @param what names the model, batch and threads for messages, e.g. {@code "mlp b1 t1"}
   * @throws WrongAnswerException if the output disagrees with the reference
   */
  public static First first(String what, BenchTarget t, float[] reference, double tol) {
    long t0 = System.nanoTime();
    float[] out = t.run(true);
    long wall = System.nanoTime() - t0;
    long run = t.lastRunNanos();
    double diff = OutputCheck.maxAbsDiff(t.label() + " " + what, out, reference, tol);
    return new First((run >= 0 ? run : wall) / 1e6, diff);
  }

  /**
   * Both sides' first calls ({@link #first}, A then B), then {@link #race}.
   *
   * @param what names the model, batch and threads for messages, e.g. {@code "mlp b1 t1"}
   * @param a first target (Kiln), not null
   * @param b second target (the peer), not null
   * @param reference PyTorch's output flattened, not null
   * @param tol relative tolerance for {@link OutputCheck#maxAbsDiff}
   * @throws WrongAnswerException if either side's output disagrees with the reference (then nothing is timed)
   */
  public static Result run(String what, BenchTarget a, BenchTarget b, float[] reference, double tol, Plan plan) {
    First fa = first(what, a, reference, tol);
    First fb = first(what, b, reference, tol);
    return race(what, a, fa, b, fb, reference, tol, plan);
  }

  /**
   * The race proper, after both first calls.
   *
   * @throws WrongAnswerException if either side's output disagrees with the reference after timing
   */
  public static Result race(String what, BenchTarget a, First firstA, BenchTarget b, First firstB, float[] reference, double tol,
                            Plan plan) {
    // Warm-up; the pair time for the iteration count is the mean of its second half, after the JIT's first tiers.
    long w0 = System.nanoTime();
    long[] warmNs = new long[plan.maxPairs() + plan.warmupPairs()];
    int warm = 0;
    do {
      long s = System.nanoTime();
      a.run(false);
      b.run(false);
      warmNs[warm++] = System.nanoTime() - s;
    } while (warm < plan.warmupPairs() || (warm < plan.maxPairs() && System.nanoTime() - w0 < plan.budgetNanos() / 4));
    long late = 0;
    for (int i = warm / 2; i < warm; i++) late += warmNs[i];
    int pairs = plan.pairsFor(late / (warm - warm / 2));

    long[] nsA = new long[pairs], nsB = new long[pairs];
    for (int i = 0; i < pairs; i++) {
      long s = System.nanoTime();
      a.run(false);
      long m = System.nanoTime();
      b.run(false);
      long e = System.nanoTime();
      nsA[i] = m - s;
      nsB[i] = e - m;
    }
    OutputCheck.maxAbsDiff(a.label() + " " + what + " (after timing)", a.run(true), reference, tol);
    OutputCheck.maxAbsDiff(b.label() + " " + what + " (after timing)", b.run(true), reference, tol);
    return new Result(LatencyStats.of(nsA), LatencyStats.of(nsB), firstA.ms(), firstB.ms(), firstA.maxAbsDiff(),
        firstB.maxAbsDiff(), pairs);
  }
}
