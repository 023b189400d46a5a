package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Kiln's setup path on the committed small MLP archive (tests/fixtures/models, no Python needed). */
class KilnLoaderTest {
  @Test
  void importsOptimizesAndRunsTheMlp() throws Exception {
    Path dir = BenchOptions.findRoot(Path.of("").toAbsolutePath()).resolve("tests/fixtures/models/mlp");
    Tensor input = Npy.read(dir.resolve("input.npy"));
    float[] want = Npy.read(dir.resolve("output.npy")).toFloatArray();
    KilnLoader.Prepared p = KilnLoader.load(dir.resolve("scripted.pt"), input.shape(), 2);
    assertTrue(p.level() >= 1, "mlp should optimize at -O1 at least; note: " + p.note());
    var target = new KilnTarget("kiln-interp", KilnBackends.get("interp").backend().compile(p.graph(), p.weights()), input);
    float[] got = target.run(true);
    assertEquals(want.length, got.length);
    assertTrue(OutputCheck.maxAbsDiff("mlp", got, want, 1e-5) < 1e-4);
  }
}
