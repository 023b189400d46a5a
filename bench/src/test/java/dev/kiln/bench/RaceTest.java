package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaceTest {
  private static final float[] REF = {1f, -2f, 3.5f};
  /** No time budget: exactly 2 warm-up pairs, then exactly 4 timed pairs, whatever the speed. */
  private static final Race.Plan PLAN = new Race.Plan(2, 0, 4, 4);

  @Test
  void checksFirstThenAlternatesThenChecksAgain() {
    List<String> log = new ArrayList<>();
    var a = new FakeTarget("A", REF, log, Integer.MAX_VALUE);
    var b = new FakeTarget("B", REF, log, Integer.MAX_VALUE);
    Race.Result r = Race.run("tiny b1 t1", a, b, REF, 1e-3, PLAN);

    assertEquals(List.of("A*", "B*"), log.subList(0, 2), "first calls fetch and check both outputs: " + log);
    assertEquals(List.of("A*", "B*"), log.subList(log.size() - 2, log.size()), "both are checked again after timing: " + log);
    List<String> middle = log.subList(2, log.size() - 2);
    assertEquals(2 * (2 + 4), middle.size(), "2 warm-up pairs then 4 timed: " + log);
    for (int i = 0; i < middle.size(); i++) assertEquals(i % 2 == 0 ? "A" : "B", middle.get(i), "ABAB order at " + i + ": " + log);
    assertEquals(4, r.pairs());
    assertEquals(4, r.a().samples());
    assertEquals(4, r.b().samples());
    assertEquals(0.0, r.maxAbsDiffA());
    assertTrue(r.a().minMs() <= r.a().medianMs() && r.a().medianMs() <= r.a().p90Ms());
    assertEquals(r.a().medianMs() / r.b().medianMs(), r.ratio(), 1e-12);
  }

  @Test
  void aFirstCallCountsTheRunAloneWhenTheTargetMeasuresIt() {
    List<String> log = new ArrayList<>();
    var measured = new FakeTarget("A", REF, log, Integer.MAX_VALUE);
    measured.runNanos = 1_234_000;
    Race.First f = Race.first("tiny b1 t1", measured, REF, 1e-3);
    assertEquals(1.234, f.ms(), 1e-9, "the target's own time of the run, without the copy of its output");
    assertEquals(0.0, f.maxAbsDiff());
    assertEquals(List.of("A*"), log, "one fetched call");

    var unmeasured = new FakeTarget("B", REF, log, Integer.MAX_VALUE);
    long t0 = System.nanoTime();
    double ms = Race.first("tiny b1 t1", unmeasured, REF, 1e-3).ms();
    assertTrue(ms >= 0 && ms <= (System.nanoTime() - t0) / 1e6, "without a measured run: the whole call, " + ms + " ms");
  }

  @Test
  void firstCallsMadeApartAreThoseTheRaceReports() {
    List<String> log = new ArrayList<>();
    var a = new FakeTarget("A", REF, log, Integer.MAX_VALUE);
    var b = new FakeTarget("B", REF, log, Integer.MAX_VALUE);
    b.runNanos = 7_000_000;
    Race.First fb = Race.first("tiny", b, REF, 1e-3); // B's setup and first call, then A's: as the bench orders them
    a.runNanos = 3_000_000;
    Race.First fa = Race.first("tiny", a, REF, 1e-3);
    Race.Result r = Race.race("tiny", a, fa, b, fb, REF, 1e-3, PLAN);
    assertEquals(List.of("B*", "A*", "A", "B"), log.subList(0, 4), log.toString());
    assertEquals(3.0, r.firstCallMsA(), 1e-9);
    assertEquals(7.0, r.firstCallMsB(), 1e-9);
    assertEquals(List.of("A*", "B*"), log.subList(log.size() - 2, log.size()), "checked again after timing: " + log);
  }

  @Test
  void refusesToTimeAWrongAnswer() {
    List<String> log = new ArrayList<>();
    var kiln = new FakeTarget("kiln-interp", REF, log, Integer.MAX_VALUE);
    var ort = new FakeTarget("ort", REF, log, 0); // wrong from the first call
    var e = assertThrows(WrongAnswerException.class, () -> Race.run("tiny b1 t1", kiln, ort, REF, 1e-3, PLAN));
    assertTrue(e.getMessage().startsWith("ort tiny b1 t1: max abs diff 1.000e+00 at output[0]"), e.getMessage());
    assertTrue(e.getMessage().contains("not timing a wrong answer"), e.getMessage());
    assertEquals(List.of("kiln-interp*", "ort*"), log, "nothing runs after a wrong first answer");
  }

  @Test
  void catchesAnAnswerThatTurnsWrongWhileTiming() {
    List<String> log = new ArrayList<>();
    var a = new FakeTarget("A", REF, log, 3);
    var b = new FakeTarget("B", REF, log, Integer.MAX_VALUE);
    var e = assertThrows(WrongAnswerException.class, () -> Race.run("tiny b1 t1", a, b, REF, 1e-3, PLAN));
    assertTrue(e.getMessage().startsWith("A tiny b1 t1 (after timing): "), e.getMessage());
  }

  @Test
  void warmUpFillsAQuarterOfTheBudgetUpToMaxPairs() {
    List<String> log = new ArrayList<>();
    var a = new FakeTarget("A", REF, log, Integer.MAX_VALUE);
    var b = new FakeTarget("B", REF, log, Integer.MAX_VALUE);
    // A 10-minute budget with instant calls: warm-up stops at maxPairs (7), and so does timing.
    Race.Result r = Race.run("tiny", a, b, REF, 1e-3, new Race.Plan(1, 600_000_000_000L, 1, 7));
    assertEquals(7, r.pairs());
    assertEquals(2 + 2 * 7 + 2 * 7 + 2, log.size(), log.toString());
  }

  @Test
  void pairsFollowTheBudgetWithinBounds() {
    var plan = new Race.Plan(5, 1_000_000L, 3, 10);
    assertEquals(10, plan.pairsFor(1), "cheap calls: capped at maxPairs");
    assertEquals(3, plan.pairsFor(1_000_000_000L), "slow calls: at least minPairs");
    assertEquals(5, plan.pairsFor(200_000L), "budget / pair time");
    assertThrows(IllegalArgumentException.class, () -> new Race.Plan(0, 1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Race.Plan(1, 1, 5, 4));
  }
}
