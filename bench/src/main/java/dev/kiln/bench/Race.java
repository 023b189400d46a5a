package dev.kiln.bench;

/**
 * Times two targets on the same input in one process, alternating A, B, A, B ... so that drift (other processes'
 * load, frequency changes, GC) falls on both sides alike.
 *
 * <p>Order of calls: each side's first call (timed alone as the first-call latency, and its output checked against
 * the reference: a wrong answer throws before anything is timed); then {@link Plan#warmupPairs} untimed pairs whose
 * duration sets the iteration count for the budget; then the timed pairs; then one more checked call per side, so a
 * runtime that corrupts its state while running is caught too.
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
   * @param what names the model, batch and threads for messages, e.g. {@code "mlp b1 t1"}
   * @param a first target (Kiln), not null
   * @param b second target (the peer), not null
   * @param reference PyTorch's output flattened, not null
   * @param tol relative tolerance for {@link OutputCheck#maxAbsDiff}
   * @throws WrongAnswerException if either side's output disagrees with the reference (then nothing is timed)
   */
  public static Result run(String what, BenchTarget a, BenchTarget b, float[] reference, double tol, Plan plan) {
    long t0 = System.nanoTime();
    float[] outA = a.run(true);
    long firstA = System.nanoTime() - t0;
    t0 = System.nanoTime();
    float[] outB = b.run(true);
    long firstB = System.nanoTime() - t0;
    double diffA = OutputCheck.maxAbsDiff(a.label() + " " + what, outA, reference, tol);
    double diffB = OutputCheck.maxAbsDiff(b.label() + " " + what, outB, reference, tol);

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
    return new Result(LatencyStats.of(nsA), LatencyStats.of(nsB), firstA / 1e6, firstB / 1e6, diffA, diffB, pairs);
  }
}
