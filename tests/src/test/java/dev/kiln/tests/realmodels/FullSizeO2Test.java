package dev.kiln.tests.realmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * -O2 on the full-size models (scripted archives, static input shape) and on the TransformerEncoderLayer fixture
 * (tests/fixtures/models/transformer, d=128, 4 heads; gen_models.py --full writes no larger one): the optimized graph
 * must still match PyTorch's output within 1e-4, and the pass figures must be consistent (planning never needs
 * more than every activation in its own buffer; ResNet-18's arena is below 40% of that). Prints the figures kept in
 * docs/passes.md as {@code [figures]} lines.
 */
@Tag("real-models")
class FullSizeO2Test {
  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "mobilenet_v2", "squeezenet1_1", "transformer"})
  void o2KeepsTheOutputsAndReportsFigures(String model) {
    Path dir = model.equals("transformer") ? smallFixture(model) : FullSizeModels.require(model, "scripted.pt");
    TorchScriptImporter.ImportedModel m = FullSizeModels.importStatic(dir, "scripted");
    Graph g = m.graph();
    int imported = g.allNodes().size();
    long batchNorms = count(g, "nn.batch_norm");
    List<PassRun> runs = new ArrayList<>();
    Program out = PassManager.parse(Pipelines.level(2)).onPassRun(runs::add).run(Program.of(g, m.weights()));
    Tensor x = Npy.read(dir.resolve("input.npy"));
    Object y = new Interpreter(out.graph(), out.weights()).run(List.of(x)).getFirst();
    FullSizeModels.Error e = FullSizeModels.compare(y, Npy.read(dir.resolve("output.npy")), model + " -O2");
    assertTrue(e.within(FullSizeImportTest.TOL), model + " after -O2 differs from PyTorch: " + e);

    Map<String, Long> fuse = last(runs, "fuse"), nhwc = last(runs, "nhwc"), mem = last(runs, "plan-memory");
    assertEquals(0, count(out.graph(), "nn.batch_norm"), model + ": fold-bn left batch norms");
    assertEquals(nhwc.get("remaining"), (long) count(out.graph(), "nn.to_layout"), model + ": nhwc's remaining figure");
    assertEquals(fuse.get("groups"), (long) count(out.graph(), "fused"), model + ": fuse's groups figure");
    long unplanned = mem.get("unplanned-bytes"), arena = mem.get("arena-bytes");
    assertEquals(0L, mem.get("dynamic"), model + ": static input, yet values sized at run time");
    assertTrue(arena <= unplanned && mem.get("live-peak-bytes") <= arena, model + ": " + mem);
    if (model.equals("resnet18")) assertTrue(arena < 0.4 * unplanned, "resnet18 arena " + arena + " B is not below 40% of " + unplanned + " B");

    long nanos = runs.stream().mapToLong(PassRun::nanos).sum();
    System.out.printf(Locale.ROOT, "[figures] %s: %d nodes (%d batch norms) -> -O2 %d (%d top-level); fuse %s; nhwc %s;"
        + " unplanned %d B, arena %d B (%.1f%%), live peak %d B, %d in place; -O2 passes %.0f ms; %s%n",
        model, imported, batchNorms, out.graph().allNodes().size(), out.graph().body().nodes().size(), fuse, nhwc,
        unplanned, arena, 100.0 * arena / unplanned, mem.get("live-peak-bytes"), mem.get("in-place"), nanos / 1e6, e);
  }

  /** A model of the committed fixtures (tests/fixtures/models), found above the working folder. */
  private static Path smallFixture(String model) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path d = p.resolve("tests/fixtures/models").resolve(model);
      if (Files.isDirectory(d)) return d;
    }
    Assumptions.abort("tests/fixtures/models/" + model + " not found above " + Path.of("").toAbsolutePath());
    return null;
  }

  private static Map<String, Long> last(List<PassRun> runs, String pass) {
    for (PassRun r : runs.reversed()) if (r.pass().equals(pass)) return r.figures();
    throw new AssertionError("no run of " + pass + " in " + runs);
  }

  private static int count(Graph g, String op) {
    int n = 0;
    for (Node node : g.allNodes()) if (node.op().name().equals(op)) n++;
    return n;
  }
}
