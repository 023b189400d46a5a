package dev.kiln.frontend.torchscript;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.archive.ArchiveException;
import dev.kiln.frontend.script.ScriptSyntaxException;
import dev.kiln.ir.DType;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Archive specifics: symbolic batch, weight names, control flow shape of the IR, and errors passing through. */
class ArchiveDetailsTest {
  private static Path model(String name, String file) { return ModelFixtures.models().resolve(name).resolve(file); }

  @Test
  void symbolicBatchRunsForTheFixtureInput() {
    for (String m : List.of("mlp/frozen.pt", "cnn/scripted.pt", "resnet_small/traced.pt")) {
      String dir = m.substring(0, m.indexOf('/'));
      ModelFixtures.Error e = ModelFixtures.run(model(dir, m.substring(dir.length() + 1)), model(dir, "input.npy"),
          model(dir, "output.npy"), "N");
      assertTrue(e.maxAbs() <= 1e-4 && e.maxRel() <= 1e-4, m + " with a symbolic batch: " + e);
    }
    var x = Npy.read(model("mlp", "input.npy"));
    String text = IrPrinter.print(TorchScriptImporter.importArchive(model("mlp", "scripted.pt"),
        List.of(ModelFixtures.typeOf(x, "N"))).graph());
    assertTrue(text.contains("(%x: f32[N,64]) -> (f32[N,10])"), text);
  }

  @Test
  void parametersAreWeightsNamedByModulePath() {
    var x = Npy.read(model("resnet_small", "input.npy"));
    var m = TorchScriptImporter.importArchive(model("resnet_small", "scripted.pt"), List.of(ModelFixtures.typeOf(x, null)));
    assertTrue(m.weights().containsKey("conv1.weight"), m.weights().keySet().toString());
    assertTrue(m.weights().containsKey("layer1.0.conv1.weight"), m.weights().keySet().toString());
    assertTrue(m.weights().containsKey("layer2.0.downsample.1.running_var"), m.weights().keySet().toString());
    assertTrue(IrPrinter.print(m.graph()).contains("const {name=\"fc.weight\"} : f32[10,64]"));
    // Frozen archives keep every weight in CONSTANTS.
    var f = TorchScriptImporter.importArchive(model("resnet_small", "frozen.pt"), List.of(ModelFixtures.typeOf(x, null)));
    assertTrue(f.weights().keySet().stream().allMatch(k -> k.startsWith("CONSTANTS.c")), f.weights().keySet().toString());
  }

  @Test
  void tiedViewsOfOneStorageGiveOneWeightEach() {
    var x = Npy.read(model("views", "input.npy"));
    var m = TorchScriptImporter.importArchive(model("views", "scripted.pt"), List.of(ModelFixtures.typeOf(x, null)));
    assertEquals(List.of("weight_t", "window"), List.copyOf(m.weights().keySet()));
    assertTrue(Arrays.equals(new long[] {6, 4}, m.weights().get("weight_t").shape()));
  }

  @Test
  void controlFlowModelKeepsARuntimeIfAndUnrollsItsLoop() {
    var x = Npy.read(model("controlflow", "input.npy"));
    String text = IrPrinter.print(TorchScriptImporter.importArchive(model("controlflow", "scripted.pt"),
        List.of(ModelFixtures.typeOf(x, null))).graph());
    assertTrue(text.contains(" = if("), text);
    assertFalse(text.contains("loop("), text);
  }

  @Test
  void corruptArchiveErrorPassesThrough(@TempDir Path tmp) throws Exception {
    byte[] b = Files.readAllBytes(model("mlp", "scripted.pt"));
    Path bad = tmp.resolve("bad.pt");
    Files.write(bad, Arrays.copyOf(b, b.length / 2));
    assertThrows(ArchiveException.class, () -> TorchScriptImporter.importArchive(bad, List.of(Type.tensor(DType.F32, 4, 64))));
  }

  @Test
  void syntaxErrorsKeepTheirPosition(@TempDir Path tmp) throws Exception {
    Path p = tmp.resolve("broken.py");
    Files.writeString(p, "def forward(x: Tensor) -> Tensor:\n    return torch.relu(x\n");
    ScriptSyntaxException e = assertThrows(ScriptSyntaxException.class,
        () -> TorchScriptImporter.importScript(p, "forward", List.of(Type.tensor(DType.F32, 2))));
    assertTrue(e.getMessage().startsWith(p + ":"), e.getMessage());
  }
}
