package dev.kiln.frontend.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.archive.TorchArchive;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.ir.DType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamically quantized archives (torch.quantization.quantize_dynamic) and quantized ops in scripts. */
class QuantizedImportTest {
  private static Path model(String name, String file) { return ModelFixtures.models().resolve(name).resolve(file); }

  @Test
  void dynamicQuantizedMlpImportsAndMatchesPyTorch() {
    Tensor x = Npy.read(model("mlp_dynq", "input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(model("mlp_dynq", "scripted.pt"),
        List.of(ModelFixtures.typeOf(x, null)));
    Verifier.verify(m.graph());
    String text = IrPrinter.print(m.graph());
    assertEquals(3, text.split("q\\.linear_dynamic\\(", -1).length - 1, text);
    Tensor w = m.weights().get("fc1._packed_params._packed_params.weight");
    assertEquals(DType.QI8, w.dtype(), m.weights().keySet().toString());
    assertArrayEquals(new long[] {128, 64}, w.shape());
    assertEquals(DType.F32, m.weights().get("fc1._packed_params._packed_params.bias").dtype());
    assertTrue(text.contains(": qi8[128,64]{q="), text);
    ModelFixtures.Error e = ModelFixtures.compare((Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(x)).getFirst(),
        Npy.read(model("mlp_dynq", "output.npy")));
    assertTrue(e.maxAbs() <= 1e-4 && e.maxRel() <= 1e-4, "quantized MLP against PyTorch (qnnpack): " + e);
  }

  @Test
  void dynamicQuantizedLstmUnrollsAndMatchesPyTorch() {
    Tensor x = Npy.read(model("lstm_dynq", "input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(model("lstm_dynq", "scripted.pt"),
        List.of(ModelFixtures.typeOf(x, null)));
    Verifier.verify(m.graph());
    String text = IrPrinter.print(m.graph());
    // per layer: one projection of the whole sequence, then one hidden projection per step (2 layers x 5 steps), plus the head
    assertEquals(2 + 2 * 5 + 1, text.split("q\\.linear_dynamic\\(", -1).length - 1, text);
    assertEquals(DType.QI8, m.weights().get("lstm._all_weight_values.0.param.weight_ih").dtype(), m.weights().keySet().toString());
    ModelFixtures.Error e = ModelFixtures.compare((Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(x)).getFirst(),
        Npy.read(model("lstm_dynq", "output.npy")));
    assertTrue(e.maxAbs() <= 1e-5 && e.maxRel() <= 1e-5, "dynamically quantized LSTM against PyTorch (qnnpack): " + e);
  }

  @Test
  void packedParamsDecodeToTheWeightQTensorAndBias() {
    TorchArchive a = TorchArchive.open(model("mlp_dynq", "scripted.pt"));
    TorchObject packed = (TorchObject) ((TorchObject) ((TorchObject) a.root().get("fc2")).get("_packed_params")).get("_packed_params");
    PackedLinearParams.State s = PackedLinearParams.decode(packed);
    assertEquals(DType.QI8, s.weight().dtype());
    assertEquals(2, s.weight().rank());
    assertEquals(s.weight().sizes()[0], s.bias().sizes()[0]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedLinearParams.decode(a.root()));
    assertTrue(e.getMessage().contains("expected a __torch__.torch.classes.quantized.LinearPackedParamsBase"), e.getMessage());
  }

  @Test
  void scriptQuantizesPacksAndUnpacks(@TempDir Path tmp) throws Exception {
    Path py = tmp.resolve("q.py");
    Files.writeString(py, """
        def forward(x: Tensor, w: Tensor) -> Tensor:
            wq = torch.quantize_per_tensor(w, 0.5, 0, 12)
            packed = ops.quantized.linear_prepack(wq, None)
            y = ops.quantized.linear_dynamic(x, packed, True)
            w2, b2 = ops.quantized.linear_unpack(packed)
            return torch.add(y, torch.sum(torch.dequantize(w2)))
        """);
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importScript(py, "forward",
        List.of(Type.tensor(DType.F32, Shape.of(2, 3)), Type.tensor(DType.F32, Shape.of(2, 3))));
    Verifier.verify(m.graph());
    String text = IrPrinter.print(m.graph());
    assertTrue(text.contains("q.quantize_per_tensor(%w) {scale=0.5, zero_point=0, dtype=qi8} : qi8[2,3]{q=0.5:0}"), text);
    assertTrue(text.contains("q.linear_dynamic(%x, "), text);
    assertTrue(text.contains("q.dequantize("), text);
    // x on the integer grid [0, 255] quantizes exactly (scale 1, zero point 0); w = 0.5 * [[2,-2,4],[1,0,-6]]
    Tensor x = Tensor.fromFloats(new float[] {0, 255, 10, 4, 5, 6}, 2, 3);
    Tensor w = Tensor.fromFloats(new float[] {1, -1, 2, 0.5f, 0, -3}, 2, 3);
    Tensor y = (Tensor) new Interpreter(m.graph(), Map.of()).run(List.of(x, w)).getFirst();
    float sum = 1 - 1 + 2 + 0.5f + 0 - 3;
    assertArrayEquals(new float[] {0 - 255 + 20 + sum, 0 + 0 - 30 + sum, 4 - 5 + 12 + sum, 2 + 0 - 18 + sum}, y.toFloatArray());
  }

  @Test
  void linearDynamicRejectsWhatIsNotPackedParams(@TempDir Path tmp) throws Exception {
    Path py = tmp.resolve("bad.py");
    Files.writeString(py, """
        def forward(x: Tensor, w: Tensor) -> Tensor:
            return ops.quantized.linear_dynamic(x, w)
        """);
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class, () -> TorchScriptImporter.importScript(py, "forward",
        List.of(Type.tensor(DType.F32, Shape.of(2, 3)), Type.tensor(DType.F32, Shape.of(2, 3)))));
    assertTrue(e.getMessage().contains("packed params must be a __torch__.torch.classes.quantized.LinearPackedParamsBase"), e.getMessage());
  }
}
