package dev.kiln.frontend.torchscript;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Statically quantized and QAT archives (tests/fixtures/gen_quant_models.py) import and give PyTorch's (qnnpack)
 * output: exactly for converted models (their outputs are dequantized integers, so equal floats mean equal integers),
 * within one output quantization step for a QAT model before convert.
 */
class StaticQuantImportTest {
  private static Path model(String name, String file) { return ModelFixtures.models().resolve(name).resolve(file); }

  private static String importAndRun(String name, String archive, String output, boolean exact) {
    Tensor x = Npy.read(model(name, "input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(model(name, archive), List.of(ModelFixtures.typeOf(x, null)));
    Verifier.verify(m.graph());
    Tensor got = (Tensor) new Interpreter(m.graph(), m.weights()).run(List.of(x)).getFirst();
    Tensor want = Npy.read(model(name, output));
    assertArrayEquals(want.shape(), got.shape());
    float[] g = got.toFloatArray(), w = want.toFloatArray();
    // A QAT model before convert runs float convolutions between its fake quantizations: a sum rounded differently
    // may land on the other side of a rounding boundary, so it is allowed one step of the output quantization.
    double step = exact ? 0 : outputStep(m);
    int differ = 0;
    for (int i = 0; i < g.length; i++) if (exact ? Float.floatToIntBits(g[i]) != Float.floatToIntBits(w[i]) : Math.abs(g[i] - w[i]) > step * 1.0001) differ++;
    assertEquals(0, differ, name + "/" + archive + ": " + differ + " of " + g.length + " outputs differ from PyTorch by more than "
        + step + "; " + ModelFixtures.compare(got, want) + "\n" + IrPrinter.print(m.graph()));
    return IrPrinter.print(m.graph());
  }

  /** The scale of the quantized value the graph's result is dequantized from. */
  private static double outputStep(TorchScriptImporter.ImportedModel m) {
    dev.kiln.ir.Node ret = m.graph().body().nodes().getLast();
    dev.kiln.ir.Node deq = ret.operand(0).definingNode();
    assertEquals("q.dequantize", deq.op().name(), "the result should be dequantized");
    return ((dev.kiln.ir.TensorType) deq.operand(0).type()).quant().scales().get(0);
  }

  @ParameterizedTest(name = "{0}/{1}")
  @CsvSource({
      "cnn_qstatic, scripted.pt, output.npy, true, q.conv2d_relu|q.conv2d(|q.add(|q.relu(|q.max_pool2d|q.adaptive_avg_pool2d|q.linear_relu|q.linear(",
      "cnn_qstatic, traced.pt, output.npy, true, q.conv2d_relu|q.conv2d(|q.add(|q.relu(|q.max_pool2d|q.adaptive_avg_pool2d|q.linear_relu|q.linear(",
      "cnn_qstatic_fx, scripted.pt, output.npy, true, q.conv2d_relu|q.add_relu|q.linear_relu|qi8[8,3,3,3]{q(axis=0)=",
      "cnn_qat, scripted.pt, output.npy, true, q.conv2d_relu|q.add_relu|q.linear_relu",
      "cnn_qat_prepared, scripted.pt, output.npy, false, q.quantize_per_tensor|q.dequantize|nn.conv2d"})
  void quantizedArchiveMatchesPyTorch(String name, String archive, String output, boolean exact, String ops) {
    String text = importAndRun(name, archive, output, exact);
    for (String op : ops.split("\\|")) assertTrue(text.contains(op), op + " missing in\n" + text);
  }

  private static TorchScriptImporter.ImportedModel script(Path tmp, String code) throws Exception {
    Path py = tmp.resolve("q.py");
    Files.writeString(py, code);
    return TorchScriptImporter.importScript(py, "forward", List.of(Type.tensor(DType.F32, Shape.of(6))));
  }

  @Test
  void fakeQuantizeIsQuantizeThenDequantize(@TempDir Path tmp) throws Exception {
    TorchScriptImporter.ImportedModel m = script(tmp, """
        def forward(x: Tensor) -> Tensor:
            return torch.fake_quantize_per_tensor_affine(x, 0.5, 3, 0, 255)
        """);
    Verifier.verify(m.graph());
    String text = IrPrinter.print(m.graph());
    assertTrue(text.contains("q.quantize_per_tensor(%x) {scale=0.5, zero_point=3, dtype=qu8}"), text);
    // x / 0.5 = [0.5, 1.5, -2.5, -10, 1000, 2]: rint half to even gives 0, 2, -2, -10, 1000, 2; + 3, clamp to [0,255], - 3
    Tensor y = (Tensor) new Interpreter(m.graph(), Map.of()).run(List.of(Tensor.fromFloats(new float[] {0.25f, 0.75f, -1.25f, -5, 500, 1}, 6))).getFirst();
    assertArrayEquals(new float[] {0, 1, -1, -1.5f, 126, 1}, y.toFloatArray());
  }

  @Test
  void fakeQuantizeRangesOtherThanQu8AndQi8AreRefused(@TempDir Path tmp) {
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class, () -> script(tmp, """
        def forward(x: Tensor) -> Tensor:
            return torch.fake_quantize_per_tensor_affine(x, 0.5, 3, 0, 127)
        """));
    assertTrue(e.getMessage().contains("quant range [0, 127] is not supported, expected [0, 255] or [-128, 127]"), e.getMessage());
    assertTrue(e.getMessage().contains("q.py:2:"), e.getMessage());
  }

  @Test
  void quantizedConvNeedsPackedParamsAndKnownOutputParameters(@TempDir Path tmp) {
    ScriptLoweringException e = assertThrows(ScriptLoweringException.class, () -> script(tmp, """
        def forward(x: Tensor) -> Tensor:
            q = torch.quantize_per_tensor(x, 0.1, 0, 13)
            return ops.quantized.conv2d(q, x, 0.1, 0)
        """));
    assertTrue(e.getMessage().contains("packed params must be a __torch__.torch.classes.quantized.Conv2dPackedParamsBase"), e.getMessage());
    ScriptLoweringException s = assertThrows(ScriptLoweringException.class, () -> script(tmp, """
        def forward(x: Tensor) -> Tensor:
            return torch.quantize_per_tensor(x, torch.sum(x), 0, 13)
        """));
    assertTrue(s.getMessage().contains("scale must be known while importing"), s.getMessage());
  }
}
