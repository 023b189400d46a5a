package dev.kiln.runtime.exec;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Runs a model built from generated JVM classes until its code is compiled, before anyone calls it, so that the
 * first real call runs at about the speed of the median one. A generated class is new code: its kernel methods run
 * interpreted, then C1-compiled, and reach C2 only after some thousands of calls for a small model (an MLP of a few
 * microseconds per call needed ~1000 calls for C1 and ~5000 for C2). A fixed handful of runs leaves such a model
 * interpreted, 100-3000x slower than its median.
 *
 * <p>Runs go in rounds of doubling size (1, 2, 4 ... up to {@link #MAX_ROUND}); the fastest run of each round is
 * compared with the fastest before it. Warm-up stops when two rounds in a row improved by less than 10% while the
 * JIT finished no compilation (where the JVM reports compile time), and at least {@link #SETTLE_MILLIS} have passed;
 * or after {@link #MAX_RUNS} runs, or once {@link #BUDGET_MILLIS} have passed (after at least {@link #MIN_RUNS}).
 * A run that throws ends the warm-up quietly: it is only an optimization. {@code -Dkiln.jvm.warmup=false} turns it
 * off.
 *
 * <p>Inputs come from {@link #sample}: floating-point inputs get a fixed pattern of small values of both signs, not
 * zeros, so that the branch profiles the JIT compiles with (ReLU, max, clamps) are those of real data; integer and
 * boolean inputs stay zero (valid indices). The input list changes kind from run to run ({@link #listKinds}) so that
 * no caller's kind of list makes the compiled code deoptimize. The model must keep no state between calls: its
 * outputs are thrown away.
 */
public final class FirstCallWarmup {
  private FirstCallWarmup() {}

  /** False under {@code -Dkiln.jvm.warmup=false}. */
  public static final boolean ON = !"false".equals(System.getProperty("kiln.jvm.warmup"));
  static final int MIN_RUNS = 3, MAX_RUNS = 20_000, MAX_ROUND = 4096;
  static final long SETTLE_MILLIS = 200, BUDGET_MILLIS = 2000;

  /**
   * Runs {@code model} on {@code inputs} until settled (see above); nothing when {@link #ON} is false.
   *
   * @return the runs that completed
   */
  public static int run(Executable model, List<Object> inputs) {
    if (!ON) return 0;
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    LongSupplier jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : null;
    return run(model, inputs, System::nanoTime, jitMillis);
  }

  /**
   * The loop of {@link #run(Executable, List)} on a given clock and JIT-time counter (tests drive both).
   *
   * @param jitMillis the JIT's total compile time so far, or null when the JVM does not report it
   */
  static int run(Executable model, List<Object> inputs, LongSupplier nanos, LongSupplier jitMillis) {
    long start = nanos.getAsLong(), budget = BUDGET_MILLIS * 1_000_000, settle = SETTLE_MILLIS * 1_000_000;
    long bestBefore = Long.MAX_VALUE;
    int runs = 0, round = 1, calm = 0;
    List<List<Object>> lists = listKinds(inputs);
    try {
      while (true) {
        long compiling = jitMillis != null ? jitMillis.getAsLong() : 0;
        long roundBest = Long.MAX_VALUE;
        for (int i = 0; i < round; i++) {
          long t = nanos.getAsLong();
          model.run(lists.get(runs % lists.size()));
          long now = nanos.getAsLong();
          runs++;
          roundBest = Math.min(roundBest, now - t);
          if (runs >= MAX_RUNS || (runs >= MIN_RUNS && now - start >= budget)) return runs;
        }
        boolean quiet = jitMillis == null || jitMillis.getAsLong() == compiling;
        boolean improved = roundBest < bestBefore - bestBefore / 10;
        calm = quiet && !improved ? calm + 1 : 0;
        if (calm >= 2 && runs >= MIN_RUNS && nanos.getAsLong() - start >= settle) return runs;
        bestBefore = Math.min(bestBefore, roundBest);
        round = Math.min(round * 2, MAX_ROUND);
      }
    } catch (RuntimeException e) {
      // Not every model runs on made-up inputs; the warm-up is only an optimization.
      return runs;
    }
  }

  /**
   * The same inputs in four kinds of list. Generated code reads its inputs with {@code List.get}; warmed up on one kind
   * of list only, C2 compiles that call for that class alone, and the first real call with another kind (say
   * {@code List.of} after an {@code ArrayList}) hits a class check, deoptimizes and runs interpreted again. Rotating
   * through several kinds leaves the call site megamorphic: a plain interface call, right for any caller's list.
   */
  static List<List<Object>> listKinds(List<Object> inputs) {
    List<List<Object>> kinds = new ArrayList<>();
    kinds.add(new ArrayList<>(inputs));
    kinds.add(Arrays.asList(inputs.toArray()));
    kinds.add(Collections.unmodifiableList(new ArrayList<>(inputs)));
    kinds.add(new LinkedList<>(inputs));
    boolean nulls = false;
    for (Object o : inputs) nulls |= o == null;
    if (!nulls) kinds.add(List.copyOf(inputs));
    return kinds;
  }

  /**
   * A warm-up input: for floating-point dtypes a fixed pattern of values in [-1, 1] of both signs (the same every time), for
   * other dtypes zeros.
   */
  public static Tensor sample(DType dtype, long[] shape) {
    if (!dtype.isFloat()) return Tensor.zeros(dtype, shape);
    long n = 1;
    for (long d : shape) n *= d;
    double[] v = new double[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) v[i] = ((i * 37L) % 17 - 8) / 8.0;
    return Tensor.ofDoubles(dtype, v, shape);
  }
}
