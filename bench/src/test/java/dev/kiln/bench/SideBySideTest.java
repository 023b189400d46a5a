package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Type;
import dev.kiln.runtime.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole command at smoke size, without Python or fixtures-large: a fixture folder for "mlp" made from the
 * committed small MLP (its TorchScript archive, input and PyTorch output at batch 4) plus an ONNX model of the same
 * three layers written by {@link TinyOnnx} from the archive's weights.
 */
class SideBySideTest {
  @Test
  void quickRunRacesTheMlpAndWritesTheReport(@TempDir Path tmp) throws Exception {
    Path root = BenchOptions.findRoot(Path.of("").toAbsolutePath());
    Path small = root.resolve("tests/fixtures/models/mlp");
    Path dir = Files.createDirectories(tmp.resolve("fixtures/mlp"));
    Files.copy(small.resolve("scripted.pt"), dir.resolve("model.pt"));
    Files.copy(small.resolve("input.npy"), dir.resolve("input_b4.npy"));
    Files.copy(small.resolve("output.npy"), dir.resolve("output_b4.npy"));
    var weights = TorchScriptImporter.importArchive(small.resolve("scripted.pt"), List.of(Type.tensor(DType.F32, 4, 64))).weights();
    float[][] w = new float[3][], b = new float[3][];
    for (int i = 0; i < 3; i++) {
      w[i] = weights.get("fc" + (i + 1) + ".weight").toFloatArray();
      b[i] = weights.get("fc" + (i + 1) + ".bias").toFloatArray();
    }
    Files.write(dir.resolve("model.onnx"), TinyOnnx.mlp(4, new int[] {64, 128, 64, 10}, w, b, "Relu"));

    BenchOptions o = BenchOptions.parse("--quick", "--batches", "4", "--root", root.toString(), "--fixtures",
        tmp.resolve("fixtures").toString(), "--out", tmp.resolve("results").toString(), "--date", "2026-01-02");
    var out = new ByteArrayOutputStream();
    List<Cell> cells = SideBySide.run(o, "side-by-side.sh --quick --batches 4", new PrintStream(out, true, StandardCharsets.UTF_8));

    String log = out.toString(StandardCharsets.UTF_8);
    assertEquals(1, cells.size(), log);
    Cell c = cells.getFirst();
    assertTrue(c.timed(), "not timed: " + c.error() + "\n" + log);
    assertEquals("mlp", c.model());
    assertEquals(4, c.batch());
    assertTrue(c.result().maxAbsDiffA() < 1e-4 && c.result().maxAbsDiffB() < 1e-4, c.result().toString());
    assertTrue(c.setup().optLevel() >= 0);
    String md = Files.readString(tmp.resolve("results/2026-01-02-interp-quick.md"));
    assertTrue(md.contains("- command: `side-by-side.sh --quick --batches 4`"), md);
    assertTrue(md.contains("\n| mlp | 4 | 1"), md);
    assertTrue(log.contains("mlp            b4 t1  kiln median"), log);
  }

  @Test
  void missingFixturesAreListedPerModelForTheBatchesAsked(@TempDir Path tmp) throws Exception {
    Files.createDirectories(tmp.resolve("mlp"));
    for (String f : List.of("model.onnx", "model.pt", "input_b1.npy", "output_b1.npy")) Files.writeString(tmp.resolve("mlp").resolve(f), "");
    assertEquals(List.of(), Fixtures.missing(tmp, List.of("mlp"), List.of(1)));
    assertEquals(List.of("mlp"), Fixtures.missing(tmp, List.of("mlp"), List.of(1, 8)));
    assertEquals(List.of("lstm"), Fixtures.missing(tmp, List.of("mlp", "lstm"), List.of(1)));
  }

  @Test
  void firstTensorLooksIntoTuplesAndLists() {
    Tensor t = Tensor.fromFloats(new float[] {1f}, 1);
    assertEquals(t, KilnTarget.firstTensor(dev.kiln.runtime.Tuple.of(List.of(t), 3L)));
  }
}
