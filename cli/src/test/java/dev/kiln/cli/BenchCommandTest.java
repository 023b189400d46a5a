package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln bench} on artifacts and on models compiled in memory; the stats helper's percentiles. */
class BenchCommandTest {
  private static final Path SAMPLE = Path.of("..").toAbsolutePath().normalize().resolve("samples/ir/mlp.kir");

  @TempDir Path dir;

  @Test
  void benchAnArtifactOnTwoThreads() {
    Path out = dir.resolve("mlp.kiln");
    assertEquals(0, kiln("compile", SAMPLE.toString(), "-o", out.toString()).code());
    Result r = kiln("bench", out.toString(), "--threads", "2", "--warmup", "1", "--iterations", "5");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("(backend interp) (x: f32[N,4]) -> (probs: f32[N,3])"), r.all());
    assertTrue(r.out().contains("inputs: f32[1,4]\n"), r.all());
    assertTrue(r.out().contains("first call after loading: "), r.all());
    assertTrue(r.out().matches("(?s).*latency: median \\d+\\.\\d{3} ms, p90 \\d+\\.\\d{3} ms, min \\d+\\.\\d{3} ms \\(10 calls on 2 threads, 1 warm-up calls each\\).*"), r.all());
    assertTrue(r.out().contains("samples/s at batch 1"), r.all());
  }

  @Test
  void benchAModelCompilesItInMemoryWithTheBatchForSymbolicDims() {
    Result r = kiln("bench", SAMPLE.toString(), "--batch", "3", "--warmup", "0", "--iterations", "2", "-O2");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("inputs: f32[3,4]\n"), r.all());
    assertTrue(r.out().contains("(2 calls on 1 thread, 0 warm-up calls each)"), r.all());
  }

  @Test
  void badCountsAreRefused() {
    Result r = kiln("bench", SAMPLE.toString(), "--threads", "0");
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: --threads, --iterations and --batch must be at least 1, --warmup at least 0\n", r.err());
  }

  /** The kernels' thread count (the runtime's, which the LLVM backend's native code splits over); restored after. */
  @Test
  @org.junit.jupiter.api.Tag("llvm")
  void kernelThreadsRunTheLlvmBackendOnTwoThreads() {
    int before = dev.kiln.runtime.kernels.Threads.threads();
    try {
      Result r = kiln("bench", SAMPLE.toString(), "--backend", "llvm", "--kernel-threads", "2", "--warmup", "1", "--iterations", "3");
      assertEquals(0, r.code(), r.all());
      assertEquals(2, dev.kiln.runtime.kernels.Threads.threads());
      assertTrue(r.out().contains("(3 calls on 1 thread, 1 warm-up calls each)"), r.all());
      r = kiln("bench", SAMPLE.toString(), "--kernel-threads", "0");
      assertEquals(1, r.code(), r.all());
      assertEquals("kiln: --kernel-threads must be at least 1, got 0\n", r.err());
    } finally {
      dev.kiln.runtime.kernels.Threads.setThreads(before);
    }
  }

  @Test
  void percentilesUseNearestRank() {
    long[] ns = {7, 3, 10, 1, 9, 2, 8, 4, 6, 5};
    BenchStats s = BenchStats.of(ns);
    assertEquals(new BenchStats(10, 1, 5, 9), s);
    assertEquals(new BenchStats(1, 42, 42, 42), BenchStats.of(new long[] {42}));
    assertEquals(7, ns[0], "the caller's array is not sorted in place");
    assertEquals("1.500 ms", BenchStats.millis(1_500_000));
  }
}
