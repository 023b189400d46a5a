package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
  @Test
  void defaultsRunEverything() {
    BenchOptions o = BenchOptions.parse("--root", "/repo");
    assertEquals("interp", o.backend());
    assertEquals(BenchOptions.ALL_MODELS, o.models());
    assertEquals(List.of(1, 8), o.batches());
    assertEquals(List.of(1, 2), o.threads());
    assertEquals(2, o.optLevel());
    assertEquals(Path.of("/repo/fixtures-large/onnx"), o.fixtures());
    assertEquals(Path.of("/repo/bench/results"), o.out());
    assertFalse(o.quick());
    assertEquals(3_000_000_000L, o.plan().budgetNanos());
  }

  @Test
  void quickIsTheMlpAtBatchOneForAFractionOfASecond() {
    BenchOptions o = BenchOptions.parse("--quick", "--root", "/repo");
    assertEquals(List.of("mlp"), o.models());
    assertEquals(List.of(1), o.batches());
    assertEquals(List.of(1), o.threads());
    assertTrue(o.quick());
    assertEquals(200_000_000L, o.plan().budgetNanos());
    assertEquals(200, o.plan().maxPairs());
  }

  @Test
  void explicitOptions() {
    BenchOptions o = BenchOptions.parse("--models", "lstm,resnet18", "--batches", "8", "--threads", "2", "--opt", "1",
        "--seconds", "0.5", "--min-pairs", "2", "--tolerance", "1e-4", "--date", "2026-01-02", "--no-report", "--root", "/r");
    assertEquals(List.of("lstm", "resnet18"), o.models());
    assertEquals(List.of(8), o.batches());
    assertEquals(List.of(2), o.threads());
    assertEquals(1, o.optLevel());
    assertEquals(1e-4, o.tolerance());
    assertEquals("2026-01-02", o.date());
    assertFalse(o.writeReport());
    assertEquals(2, o.plan().minPairs());
  }

  @Test
  void badOptionsSayWhatWasExpected() {
    assertTrue(msg("--backend", "tpu").startsWith("unknown Kiln backend 'tpu'; known: interp"));
    assertTrue(msg("--models", "alexnet").startsWith("--models: unknown model 'alexnet'; known: mlp,lstm"));
    assertEquals("--batches: expected non-negative integers separated by commas, got '1,x'", msg("--batches", "1,x"));
    assertEquals("--threads: values must be at least 1, got '0'", msg("--threads", "0"));
    assertEquals("--opt: expected 0, 1 or 2, got 3", msg("--opt", "3"));
    assertEquals("--seconds: expected a positive number, got '-1'", msg("--seconds", "-1"));
    assertTrue(msg("--frobnicate", "1").startsWith("unknown option '--frobnicate'"));
    assertTrue(msg("--models").startsWith("option '--models' needs a value"));
    assertTrue(msg("models").startsWith("unknown argument 'models'"));
  }

  private static String msg(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--root";
    all[1] = "/r";
    System.arraycopy(args, 0, all, 2, args.length);
    return assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse(all)).getMessage();
  }
}
