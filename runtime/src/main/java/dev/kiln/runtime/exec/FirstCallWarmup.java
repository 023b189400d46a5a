package dev.kiln.runtime.exec;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;
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
 * Time here is the warming thread's CPU time where the JVM measures it: on a machine loaded by other processes the
 * warm-up thread and the JIT's compiler threads get the same share of the cores, so a CPU-time budget leaves the
 * JIT about as far along as on an idle machine, where a wall-clock budget ran out with the code still interpreted
 * (a first call of 600 ms on an LSTM at load 15). {@link #WALL_FACTOR} times the budget in wall-clock time caps it
 * all the same.
 * <p>The loop's end is not the warm-up's last work: {@link #LAST_RUNS} more runs are (see there), so that the model's
 * code and data are what the CPU's caches hold when loading returns.
 *
 * <p>A run that throws ends the warm-up quietly: it is only an optimization. {@code -Dkiln.jvm.warmup=false} turns it
 * off; {@code -Dkiln.jvm.warmup.log=true} prints one line per warm-up to standard error (runs, times, why it stopped).
 *
 * <p>Inputs come from {@link #sample}: floating-point inputs get a fixed pattern of values of both signs, not
 * zeros, so that the branch profiles the JIT compiles with (ReLU, max, clamps) are those of real data; integer and
 * boolean inputs stay zero (valid indices). The input list changes kind from run to run ({@link #listKinds}) so that
 * no caller's kind of list makes the compiled code deoptimize. {@link KilnModel} warms its own entry points up
 * ({@link #run(IntConsumer)}), so input checks and result maps are compiled too. The model must keep no state
 * between calls: its outputs are thrown away.
 *
 * <p>Each run calls the model's entry method for real ({@link WarmupEntry}), never a copy of it inlined into the warm-up's
 * own compiled code: a caller's first call runs the entry's own compiled code, and that is what must be compiled
 * and already run.
 */
public final class FirstCallWarmup {
  private FirstCallWarmup() {}

  /** False under {@code -Dkiln.jvm.warmup=false}. */
  public static final boolean ON = !"false".equals(System.getProperty("kiln.jvm.warmup"));
  static final boolean LOG = "true".equals(System.getProperty("kiln.jvm.warmup.log"));
  static final int MIN_RUNS = 3, MAX_RUNS = 20_000, MAX_ROUND = 4096;
  static final long SETTLE_MILLIS = 200, BUDGET_MILLIS = 2000;
  /** The wall-clock cap is this many times the CPU-time budget. */
  static final int WALL_FACTOR = 4;
  /**
   * Runs made after the loop has stopped and its bookkeeping is done, as the warm-up's very last work. The loop's end
   * is cold code that can take milliseconds: at the first warm-up in a JVM it loads classes ({@link Outcome},
   * {@link Stop}), the JIT deoptimizes the loop's compiled code at its exit (never taken while it was compiled),
   * and with the log on it formats and prints a line. That much other work leaves the model's code, weights and
   * workspace out of the CPU's caches and TLBs, and the first real call paid for it: a 2 us MLP measured 10-30 us
   * with every kernel in it several times slower (0.5-0.6 ms of such work after the loop's last run), against 5-8 us
   * after these runs (in the same harness, whose own first call adds 3-4 us).
   */
  static final int LAST_RUNS = 2;

  /** Why a warm-up stopped (for the log and the tests). */
  enum Stop { SETTLED, BUDGET, WALL, RUNS, THREW }

  /** What a warm-up did: runs made, why it stopped, the fastest run of the first and the last round. */
  record Outcome(int runs, Stop stop, long firstNanos, long lastNanos) {}

  /**
   * Runs {@code model} on {@code inputs} until settled (see above); nothing when {@link #ON} is false.
   *
   * @return the runs that completed
   */
  public static int run(Executable model, List<Object> inputs) {
    if (!ON) return 0;
    List<List<Object>> lists = listKinds(inputs);
    MethodHandle run = WarmupEntry.bind(EXECUTABLE_RUN, model);
    return run(i -> WarmupEntry.call(run, lists.get(i % lists.size())));
  }

  private static final MethodHandle EXECUTABLE_RUN = WarmupEntry.method(Executable.class, "run", List.class);

  /**
   * Calls {@code call} with 0, 1, 2 ... until settled (see above); nothing when {@link #ON} is false. The argument
   * lets the caller vary what it passes from run to run.
   *
   * @return the runs that completed
   */
  public static int run(IntConsumer call) { return run(call, BUDGET_MILLIS); }

  /**
   * {@link #run(IntConsumer)} with a CPU-time budget of {@code budgetMillis} instead of {@link #BUDGET_MILLIS}
   * (at most that; the settling rule and the caps are the same).
   */
  public static int run(IntConsumer call, long budgetMillis) {
    if (!ON || budgetMillis <= 0) return 0;
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    LongSupplier jitMillis = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit::getTotalCompilationTime : null;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    LongSupplier work = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled()
        ? threads::getCurrentThreadCpuTime : System::nanoTime;
    long t0 = System.nanoTime();
    Outcome o = loop(call, System::nanoTime, work, jitMillis, Math.min(budgetMillis, BUDGET_MILLIS));
    if (LOG)
      System.err.printf(Locale.ROOT, "kiln warm-up: %d runs in %.0f ms (%s), fastest run %.4f ms in the first round, %.4f ms in the last%n",
          o.runs(), (System.nanoTime() - t0) / 1e6, o.stop().name().toLowerCase(Locale.ROOT), o.firstNanos() / 1e6, o.lastNanos() / 1e6);
    // Nothing but these runs after this point: they are what the caches hold when the caller gets the model.
    return o.runs() + lastRuns(call, o);
  }

  /**
   * {@link #LAST_RUNS} more calls, numbered on from the loop's (so they go on through the kinds of input), unless
   * the loop stopped because a run threw.
   *
   * @return the calls that completed
   */
  static int lastRuns(IntConsumer call, Outcome o) {
    if (o.stop() == Stop.THREW) return 0;
    int done = 0;
    try {
      for (; done < LAST_RUNS; done++) call.accept(o.runs() + done);
    } catch (RuntimeException e) {
      // As in the loop: only an optimization.
    }
    return done;
  }

  /**
   * The loop of {@link #run(Executable, List)} on a given clock and JIT-time counter (tests drive both; the clock
   * serves as the CPU-time clock too).
   *
   * @param jitMillis the JIT's total compile time so far, or null when the JVM does not report it
   */
  static int run(Executable model, List<Object> inputs, LongSupplier nanos, LongSupplier jitMillis) {
    List<List<Object>> lists = listKinds(inputs);
    MethodHandle run = WarmupEntry.bind(EXECUTABLE_RUN, model);
    IntConsumer call = i -> WarmupEntry.call(run, lists.get(i % lists.size()));
    Outcome o = loop(call, nanos, nanos, jitMillis, BUDGET_MILLIS);
    return o.runs() + lastRuns(call, o);
  }

  /**
   * @param nanos wall clock, times each run
   * @param work the clock of the budget and the settling time (the thread's CPU time, or the wall clock)
   * @param budgetMillis the budget on the {@code work} clock
   */
  static Outcome loop(IntConsumer call, LongSupplier nanos, LongSupplier work, LongSupplier jitMillis, long budgetMillis) {
    long start = nanos.getAsLong(), workStart = work.getAsLong();
    long budget = budgetMillis * 1_000_000, settle = SETTLE_MILLIS * 1_000_000, wall = WALL_FACTOR * budget;
    long bestBefore = Long.MAX_VALUE, firstBest = 0, lastWork = start;
    int runs = 0, round = 1, calm = 0;
    try {
      while (true) {
        long compiling = jitMillis != null ? jitMillis.getAsLong() : 0;
        long roundBest = Long.MAX_VALUE;
        for (int i = 0; i < round; i++) {
          long t = nanos.getAsLong();
          call.accept(runs);
          long now = nanos.getAsLong();
          runs++;
          roundBest = Math.min(roundBest, now - t);
          if (runs >= MAX_RUNS) return new Outcome(runs, Stop.RUNS, firstBest, roundBest);
          if (runs < MIN_RUNS) continue;
          if (now - start >= wall) return new Outcome(runs, Stop.WALL, firstBest, roundBest);
          // The CPU-time clock costs a system call: read it at most once a millisecond (and at a round's end).
          if (i == round - 1 || now - lastWork >= 1_000_000) {
            lastWork = now;
            if (work.getAsLong() - workStart >= budget) return new Outcome(runs, Stop.BUDGET, firstBest, roundBest);
          }
        }
        if (firstBest == 0) firstBest = roundBest;
        boolean quiet = jitMillis == null || jitMillis.getAsLong() == compiling;
        boolean improved = roundBest < bestBefore - bestBefore / 10;
        calm = quiet && !improved ? calm + 1 : 0;
        if (calm >= 2 && runs >= MIN_RUNS && work.getAsLong() - workStart >= settle) return new Outcome(runs, Stop.SETTLED, firstBest, roundBest);
        bestBefore = Math.min(bestBefore, roundBest);
        round = Math.min(round * 2, MAX_ROUND);
      }
    } catch (RuntimeException e) {
      // Not every model runs on made-up inputs; the warm-up is only an optimization.
      return new Outcome(runs, Stop.THREW, firstBest, 0);
    }
  }

  /**
   * The same inputs in several kinds of list, each kind once with the tensors on the heap and once with copies in
   * native memory ({@link #offHeap}). Generated code reads its inputs with {@code List.get}; warmed up on one kind
   * of list only, C2 compiles that call for that class alone, and the first real call with another kind (say
   * {@code List.of} after an {@code ArrayList}) hits a class check, deoptimizes and runs interpreted again. Rotating
   * through several kinds leaves the call site megamorphic: a plain interface call, right for any caller's list.
   */
  static List<List<Object>> listKinds(List<Object> inputs) {
    List<List<Object>> kinds = listKindsOf(inputs);
    List<Object> offHeap = new ArrayList<>();
    for (Object o : inputs) offHeap.add(o instanceof Tensor t ? offHeap(t) : o);
    // Interleaved: heap tensors in one list kind, native ones in the next.
    List<List<Object>> both = new ArrayList<>();
    List<List<Object>> other = listKindsOf(offHeap);
    for (int i = 0; i < kinds.size(); i++) {
      both.add(kinds.get(i));
      both.add(other.get((i + 1) % other.size()));
    }
    return both;
  }

  /**
   * A copy of {@code t} in native memory (a global arena's, freed with the tensor). Warm-up tensors come in both
   * kinds of storage: tensors read from files or made from arrays live on the heap, those shared with native code
   * off it, and {@code Tensor.toFloatArray} compiled for one kind alone would deoptimize at the first of the other.
   */
  static Tensor offHeap(Tensor t) {
    MemorySegment src = t.segment();
    MemorySegment dst = Arena.ofAuto().allocate(Math.max(1, src.byteSize()), 64);
    MemorySegment.copy(src, 0, dst, 0, src.byteSize());
    return Tensor.of(t.dtype(), dst, t.shape());
  }

  private static List<List<Object>> listKindsOf(List<Object> inputs) {
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
   * The same named inputs in four kinds of map ({@code Map.of}'s, hash, linked and sorted), for the same reason as
   * {@link #listKinds}: the input check reads the caller's map through {@code Map} calls.
   */
  static <V> List<Map<String, V>> mapKinds(Map<String, V> named) {
    List<Map<String, V>> kinds = new ArrayList<>();
    kinds.add(Map.copyOf(named));
    kinds.add(new HashMap<>(named));
    kinds.add(new LinkedHashMap<>(named));
    kinds.add(new TreeMap<>(named));
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
