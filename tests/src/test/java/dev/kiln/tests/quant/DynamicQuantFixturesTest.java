package dev.kiln.tests.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * quantize=dynamic on the float fixtures against torch.quantization.quantize_dynamic of the same models
 * (tests/fixtures/gen_quant_calib.py: qnnpack engine, qint8 weights per tensor or per channel), on the 8 calibration
 * inputs of each: the interpreter's outputs must be PyTorch's bits, up to float rounding in the LSTM cell.
 */
class DynamicQuantFixturesTest {
  static final Path MODELS = Path.of("fixtures/models"), QUANT = Path.of("fixtures/quant");

  @ParameterizedTest
  @CsvSource({"mlp, per_tensor, 0", "mlp, per_channel, 0", "lstm, per_tensor, 1e-7", "lstm, per_channel, 1e-7"})
  void matchesPyTorchQuantizeDynamic(String model, String scheme, double atol) {
    Tensor x0 = Npy.read(QUANT.resolve("calib").resolve(model).resolve("00.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(MODELS.resolve(model).resolve("scripted.pt"),
        List.of(Type.tensor(x0.dtype(), x0.shape())));
    String pipeline = "shapes,fold,cse,dce,quantize=dynamic" + (scheme.equals("per_tensor") ? ";per-tensor" : "");
    Program q = PassManager.parse(pipeline).run(Program.of(m.graph(), m.weights()));
    Verifier.verify(q.graph());
    Interpreter in = new Interpreter(q.graph(), q.weights());
    double worst = 0;
    long exact = 0, total = 0;
    for (int i = 0; i < 8; i++) {
      String f = String.format("%02d.npy", i);
      Tensor x = Npy.read(QUANT.resolve("calib").resolve(model).resolve(f));
      Tensor want = Npy.read(QUANT.resolve("dynq").resolve(model).resolve(scheme).resolve(f));
      Tensor got = (Tensor) in.run(List.of(x)).getFirst();
      assertEquals(Tensor.dims(want.shape()), Tensor.dims(got.shape()));
      float[] a = want.toFloatArray(), b = got.toFloatArray();
      for (int k = 0; k < a.length; k++) {
        if (Float.floatToIntBits(a[k]) == Float.floatToIntBits(b[k])) exact++;
        worst = Math.max(worst, Math.abs(a[k] - b[k]));
      }
      total += a.length;
    }
    System.out.printf("[figures] %s %s: %d of %d outputs bit-identical to PyTorch, max abs diff %.3g%n", model, scheme, exact, total, worst);
    assertTrue(worst <= atol, model + " " + scheme + ": max abs diff " + worst + " over " + atol + " (" + exact + "/" + total + " exact)");
  }
}
