package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The int8 bench's parts that need no model: the round-robin order, the PyTorch times file, the int8 checks, the table. */
class QuantBenchPartsTest {
  @Test
  void roundRobinCallsEachTargetOncePerRoundInOrder() {
    List<String> log = new ArrayList<>();
    List<FakeTarget> t = List.of(new FakeTarget("A", new float[] {1}, log, Integer.MAX_VALUE),
        new FakeTarget("B", new float[] {1}, log, Integer.MAX_VALUE), new FakeTarget("C", new float[] {1}, log, Integer.MAX_VALUE));
    RoundRobin.Result r = RoundRobin.run(t, new Race.Plan(2, 1, 3, 3));
    assertEquals(3, r.rounds());
    assertEquals(3, r.stats().size());
    for (LatencyStats s : r.stats()) assertEquals(3, s.samples());
    assertEquals(3 * (2 + 3), log.size(), log.toString()); // 2 warm-up rounds (budget 1 ns), 3 timed
    for (int i = 0; i < log.size(); i++) assertEquals(List.of("A", "B", "C").get(i % 3), log.get(i), log.toString());
  }

  @Test
  void readsPytorchTimesAndNamesABadLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("t.tsv");
    Files.writeString(f, "# torch 1.13.0 qnnpack threads 1\n#model\tbatch\n" + "mlp\t1\t0.05\t0.025\t0.04\t0.02\t100\t0.0\n");
    TorchTimes t = TorchTimes.read(f);
    assertEquals("torch 1.13.0 qnnpack threads 1", t.version());
    assertEquals(2.0, t.get("mlp", 1).speedup(), 1e-12);
    assertEquals(null, t.get("mlp", 8));
    Files.writeString(f, "mlp\t1\t0.05\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchTimes.read(f));
    assertTrue(e.getMessage().contains("t.tsv:1") && e.getMessage().contains("8 tab-separated"), e.getMessage());
  }

  @Test
  void relativeL2RefusesAnInt8OutputFarFromItsReference() {
    assertEquals(0.1, QuantCells.relL2("x", new float[] {1.1f, 0}, new float[] {1, 0}, 0.15), 1e-6);
    WrongAnswerException e = assertThrows(WrongAnswerException.class, () -> QuantCells.relL2("mlp b1 jvm", new float[] {2, 0}, new float[] {1, 0}, 0.15));
    assertTrue(e.getMessage().contains("mlp b1 jvm") && e.getMessage().contains("1.0000"), e.getMessage());
    assertThrows(WrongAnswerException.class, () -> QuantCells.relL2("x", new float[] {1}, new float[] {1, 0}, 0.15));
  }

  @Test
  void tableShowsSpeedupsAndRefusals() {
    LatencyStats f = new LatencyStats(5, 2.0, 2.0, 2.0), q = new LatencyStats(5, 0.5, 0.5, 0.5);
    TorchTimes.Row torch = new TorchTimes.Row("mlp", 1, 0.078, 0.039, 100, 0);
    List<QuantRow> rows = List.of(new QuantRow("mlp", "dynamic", 1, "llvm", f, q, f, null, torch, 0.01, 0, Double.NaN, 5, null),
        QuantRow.refused("lstm", "dynamic", 1, "jvm", null, "wrong answer: a|b"));
    String text = QuantTable.render(new QuantTable.Header("2026-11-24", MachineInfo.probe(), "1.23.2", "torch 1.13", "cmd", "1, 2, 3", "4, 5, 6",
        List.of("a note")), rows);
    assertTrue(text.contains("| mlp | dynamic | 1 | llvm | 2.00 | 0.5000 | 4.00 | 2.00 | - | - | 0.0780 | 0.0390 | 2.00 | 12.82 |"), text);
    assertTrue(text.contains("not timed: wrong answer: a\\|b"), text);
    assertTrue(text.contains("load average (1, 5, 15 min): 1, 2, 3 at the start, 4, 5, 6 at the end"), text);
  }
}
