package dev.kiln.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * The warm-up loop on a simulated clock and JIT: it must keep running through the interpreted phase while the JIT
 * is compiling, stop once the model has settled, and never run past its caps. No real timing is asserted.
 */
class FirstCallWarmupTest {
  /** A model on a fake clock: each run takes {@code slowNanos} until run {@code compiledAt}, then {@code fastNanos}. */
  private static final class SimulatedJit implements Executable {
    final long slowNanos, fastNanos;
    final int compiledAt;
    long now;
    long jitMillis;
    int runs;
    final Set<Class<?>> listKinds = new HashSet<>();
    final List<List<Object>> seen = new ArrayList<>();

    SimulatedJit(long slowNanos, long fastNanos, int compiledAt) {
      this.slowNanos = slowNanos;
      this.fastNanos = fastNanos;
      this.compiledAt = compiledAt;
    }

    @Override public List<Object> run(List<Object> inputs) {
      runs++;
      listKinds.add(inputs.getClass());
      if (seen.size() < 8) seen.add(List.copyOf(inputs));
      now += runs < compiledAt ? slowNanos : fastNanos;
      // The JIT finishes a compilation every 50 runs until the code is compiled.
      if (runs < compiledAt && runs % 50 == 0) jitMillis++;
      return List.of();
    }
  }

  private static int warm(SimulatedJit m, List<Object> inputs) {
    return FirstCallWarmup.run(m, inputs, () -> m.now, () -> m.jitMillis);
  }

  @Test
  void keepsRunningWhileTheJitCompilesAndStopsOnceSettled() {
    // 1 ms per run interpreted for 1000 runs, then 2 us: a fixed handful of runs would have left it interpreted.
    SimulatedJit m = new SimulatedJit(1_000_000, 2_000, 1000);
    int runs = warm(m, List.of(Tensor.zeros(DType.F32, 2, 3)));
    assertEquals(m.runs, runs);
    assertTrue(runs > 1000, "stopped at " + runs + " runs, before the simulated JIT compiled the model");
    assertTrue(runs < FirstCallWarmup.MAX_RUNS, "never settled: " + runs);
    // Settling needs two calm rounds after the last improvement: the rounds after run 1000 are at least 2 * 512 runs.
    assertTrue(runs >= 1000 + 2 * 512, "settled too early: " + runs);
  }

  @Test
  void aModelThatNeverSettlesStopsAtTheTimeBudget() {
    SimulatedJit m = new SimulatedJit(1_000_000, 1_000_000, Integer.MAX_VALUE);
    int runs = warm(m, List.of());
    assertEquals(FirstCallWarmup.BUDGET_MILLIS + FirstCallWarmup.LAST_RUNS, runs, "one simulated millisecond per run, then the last runs");
    assertEquals(m.runs, runs);
  }

  @Test
  void aModelThatTakesNoTimeStopsAtTheRunCap() {
    SimulatedJit m = new SimulatedJit(0, 0, 0);
    assertEquals(FirstCallWarmup.MAX_RUNS + FirstCallWarmup.LAST_RUNS, warm(m, List.of()));
  }

  @Test
  void aSlowModelStillGetsTheMinimumRuns() {
    SimulatedJit m = new SimulatedJit(5_000_000_000L, 5_000_000_000L, Integer.MAX_VALUE);
    assertEquals(FirstCallWarmup.MIN_RUNS + FirstCallWarmup.LAST_RUNS, warm(m, List.of()));
  }

  @Test
  void theLastRunsFollowTheLoopNumberedOnAndNotAfterAThrow() {
    List<Integer> seen = new ArrayList<>();
    FirstCallWarmup.Outcome settled = new FirstCallWarmup.Outcome(7, FirstCallWarmup.Stop.SETTLED, 0, 0);
    assertEquals(FirstCallWarmup.LAST_RUNS, FirstCallWarmup.lastRuns(seen::add, settled));
    List<Integer> want = new ArrayList<>();
    for (int i = 0; i < FirstCallWarmup.LAST_RUNS; i++) want.add(7 + i);
    assertEquals(want, seen, "numbered on from the loop's runs, so the kinds of input keep rotating");

    seen.clear();
    assertEquals(0, FirstCallWarmup.lastRuns(seen::add, new FirstCallWarmup.Outcome(4, FirstCallWarmup.Stop.THREW, 0, 0)));
    assertEquals(List.of(), seen, "a model that threw is not run again");

    assertTrue(FirstCallWarmup.LAST_RUNS >= 2, "the test below needs two last runs");
    int[] calls = {0};
    int done = FirstCallWarmup.lastRuns(i -> {
      if (calls[0]++ == 1) throw new IllegalStateException("rejects the second");
    }, settled);
    assertEquals(1, done, "a last run that throws ends them quietly");
  }

  @Test
  void everyRunCallsTheModelsEntryThroughAMethodHandle() {
    // Called directly, the model's run would be inlined into the warm-up's compiled code and the entry method that
    // callers use would stay cold; through WarmupEntry.call (a method handle) every run is a real call of it.
    Set<String> callers = new HashSet<>();
    int[] calls = {0};
    Executable m = inputs -> {
      calls[0]++;
      callers.add(StackWalker.getInstance().walk(s -> s.skip(1).findFirst().map(f -> f.getClassName() + "." + f.getMethodName()).orElse("?")));
      return List.of();
    };
    // A clock that never moves: the loop runs to its cap, then the last runs.
    int runs = FirstCallWarmup.run(m, List.of(Tensor.zeros(DType.F32, 2)), () -> 0, () -> 0);
    assertEquals(FirstCallWarmup.MAX_RUNS + FirstCallWarmup.LAST_RUNS, runs);
    assertEquals(runs, calls[0]);
    assertEquals(Set.of(WarmupEntry.class.getName() + ".call"), callers, "the frame that called the model's run");
  }

  /** A receiver with a varargs method, as {@code KilnModel.run(Tensor...)} is. */
  public static final class Varargs {
    public List<Object> run(Tensor... xs) { return List.of((Object[]) xs); }

    public List<Object> fail(List<Object> in) { throw new IllegalArgumentException("bad input " + in); }
  }

  @Test
  void entryHandlesTakeAnArrayForVarargsAndRethrowWhatTheMethodThrows() {
    Varargs v = new Varargs();
    var run = WarmupEntry.bind(WarmupEntry.method(Varargs.class, "run", Tensor[].class), v);
    Tensor a = Tensor.zeros(DType.F32, 1), b = Tensor.zeros(DType.F32, 2);
    assertEquals(List.of(a, b), WarmupEntry.call(run, new Tensor[] {a, b}), "the array is the argument list, not one element of it");
    var fail = WarmupEntry.bind(WarmupEntry.method(Varargs.class, "fail", List.class), v);
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> WarmupEntry.call(fail, List.of()));
    assertEquals("bad input []", e.getMessage());
    var missing = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> WarmupEntry.method(Varargs.class, "walk", List.class));
    assertTrue(missing.getMessage().contains("Varargs.walk(java.util.List)"), missing.getMessage());
  }


  @Test
  void aModelThatThrowsEndsTheWarmUpQuietly() {
    int[] calls = {0};
    Executable bad = inputs -> {
      calls[0]++;
      throw new IllegalStateException("rejects made-up inputs");
    };
    assertEquals(0, FirstCallWarmup.run(bad, List.of(), () -> 0, null));
    assertEquals(1, calls[0], "no last runs after a run threw");
  }

  @Test
  void theBudgetCountsTheWarmingThreadsCpuTimeNotTheWallClock() {
    // A loaded machine: each run takes 1 ms of the thread's CPU but 2 ms of wall time (the JIT never goes quiet, so
    // it never settles). The CPU budget is not spent when the wall clock passes it; later the wall-clock cap ends a
    // warm-up that gets even less of the CPU.
    long[] wall = {0}, cpu = {0};
    IntConsumer run = i -> {
      wall[0] += 2_000_000;
      cpu[0] += 1_000_000;
    };
    FirstCallWarmup.Outcome o = FirstCallWarmup.loop(run, () -> wall[0], () -> cpu[0], () -> cpu[0], FirstCallWarmup.BUDGET_MILLIS);
    assertEquals(FirstCallWarmup.Stop.BUDGET, o.stop(), "the CPU budget (" + FirstCallWarmup.BUDGET_MILLIS + " ms) comes first: " + o);
    assertEquals(FirstCallWarmup.BUDGET_MILLIS, o.runs(), "one CPU millisecond per run: " + o);

    wall[0] = cpu[0] = 0;
    IntConsumer starved = i -> {
      wall[0] += 10_000_000;
      cpu[0] += 1_000_000;
    };
    o = FirstCallWarmup.loop(starved, () -> wall[0], () -> cpu[0], () -> cpu[0], FirstCallWarmup.BUDGET_MILLIS);
    assertEquals(FirstCallWarmup.Stop.WALL, o.stop(), o.toString());
    assertEquals(FirstCallWarmup.WALL_FACTOR * FirstCallWarmup.BUDGET_MILLIS / 10, o.runs(), o.toString());
  }

  @Test
  void eachRunIsToldItsNumberAndTheOutcomeSaysWhyItStopped() {
    List<Integer> seen = new ArrayList<>();
    long[] clock = {0};
    FirstCallWarmup.Outcome o = FirstCallWarmup.loop(i -> {
      seen.add(i);
      clock[0] += 1_000;
      if (i == 9) throw new IllegalStateException("made-up inputs rejected");
    }, () -> clock[0], () -> clock[0], null, FirstCallWarmup.BUDGET_MILLIS);
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), seen);
    assertEquals(FirstCallWarmup.Stop.THREW, o.stop());
    assertEquals(9, o.runs(), "the run that threw does not count");
  }

  @Test
  void namedInputsComeInSeveralKindsOfMapWithTheSameEntries() {
    Map<String, Tensor> named = new LinkedHashMap<>();
    named.put("b", Tensor.zeros(DType.F32, 2));
    named.put("a", Tensor.zeros(DType.I64, 1));
    List<Map<String, Tensor>> kinds = FirstCallWarmup.mapKinds(named);
    Set<Class<?>> classes = new HashSet<>();
    for (Map<String, Tensor> m : kinds) {
      assertEquals(named, m);
      classes.add(m.getClass());
    }
    assertEquals(kinds.size(), classes.size(), "each a different class: " + classes);
    assertTrue(kinds.size() >= 4, classes.toString());
  }

  @Test
  void inputsComeInSeveralKindsOfListWithTheSameTensors() {
    Tensor x = FirstCallWarmup.sample(DType.F32, new long[] {2, 3});
    SimulatedJit m = new SimulatedJit(0, 0, 0);
    warm(m, List.of(x));
    assertTrue(m.listKinds.size() >= 4, "list kinds: " + m.listKinds);
    boolean heap = false, offHeap = false;
    for (List<Object> in : m.seen) {
      assertEquals(1, in.size());
      Tensor t = (Tensor) in.get(0);
      assertArrayEquals(x.toFloatArray(), t.toFloatArray(), "the same values in every run");
      assertArrayEquals(x.shape(), t.shape());
      heap |= !t.segment().isNative();
      offHeap |= t.segment().isNative();
    }
    assertTrue(heap && offHeap, "tensors on the heap and in native memory, as callers pass them");
  }

  @Test
  void floatSamplesHaveBothSignsAndAreTheSameEveryTime() {
    float[] a = FirstCallWarmup.sample(DType.F32, new long[] {4, 8}).toFloatArray();
    assertArrayEquals(a, FirstCallWarmup.sample(DType.F32, new long[] {4, 8}).toFloatArray());
    boolean neg = false, pos = false;
    for (float v : a) {
      assertTrue(v >= -1 && v <= 1, "in [-1, 1]: " + v);
      neg |= v < 0;
      pos |= v > 0;
    }
    assertTrue(neg && pos, "both signs");
    Tensor ids = FirstCallWarmup.sample(DType.I64, new long[] {3});
    assertArrayEquals(new long[] {0, 0, 0}, ids.toLongArray(), "integer inputs stay valid indices");
    assertEquals(DType.I64, ids.dtype());
  }
}
