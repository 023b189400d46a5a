package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --quantize} on compile/optimize/run and {@code kiln quantize-report}, on the MLP fixture. */
class QuantizeCliTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path MLP = ROOT.resolve("tests/fixtures/models/mlp");
  private static final Path CALIB = ROOT.resolve("tests/fixtures/quant/calib/mlp");

  @TempDir Path dir;

  @Test
  void compileDynamicWritesAnArtifactThatMatchesPyTorchsQuantizeDynamic() throws Exception {
    Path out = dir.resolve("mlp.kiln");
    Result r = kiln("compile", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--quantize", "dynamic", "-O2",
        "-o", out.toString());
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("quantize=dynamic,fuse,nhwc,plan-memory"), r.all());
    KilnModel m = KilnModel.load(out);
    Tensor x = Npy.read(CALIB.resolve("00.npy"));
    Tensor got = m.run(Map.of("x", x)).values().iterator().next();
    Tensor want = Npy.read(ROOT.resolve("tests/fixtures/quant/dynq/mlp/per_channel/00.npy"));
    assertEquals(0.0, got.maxAbsDiff(want), "per-channel dynamic quantization is PyTorch's bits");
  }

  @Test
  void reportPrintsLayersAndTop1() {
    Result r = kiln("quantize-report", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--calibrate", CALIB.toString(),
        "--quantize", "dynamic");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("(dynamic, per-channel weights), 8 calibration samples"), r.out());
    for (String layer : new String[] {"fc1", "fc2", "fc3"}) assertTrue(r.out().contains("\n" + layer + " "), r.out());
    assertTrue(r.out().contains("top-1 agreement: "), r.out());
    assertTrue(r.err().contains("measuring [") && r.err().contains("8/8"), "progress bar on stderr: " + r.err());
  }

  @Test
  void staticBudgetSaysWhatItKept() {
    Result r = kiln("quantize-report", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--calibrate", CALIB.toString(),
        "--accuracy-budget", "80dB");
    assertEquals(0, r.code(), r.all());
    // No int8 MLP reaches 80 dB: layers are kept in float one by one, most sensitive first, until it holds.
    assertTrue(r.err().contains("quantize: keeping fc"), r.err());
    assertTrue(r.err().contains("quantize: accuracy budget met; kept in float: fc"), r.err());
    assertTrue(r.out().contains("kept in float: fc"), r.out());
  }

  @Test
  void floatOutputKeepsTheLastLinearsResultInFloat() {
    Result r = kiln("quantize-report", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--calibrate", CALIB.toString(),
        "--float-output");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("(static, minmax observer, float output, per-channel weights)"), r.out());
    // fc3 makes the model's output: int8 weights and activation, f32 result; the hidden layers stay q.linear_relu.
    assertTrue(r.out().matches("(?s).*\\nfc3 +q\\.linear_dynamic .*"), r.out());
    assertTrue(r.out().matches("(?s).*\\nfc1 +q\\.linear_relu .*"), r.out());
  }

  @Test
  void badOptionsAreNamed() {
    Result r = kiln("compile", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--quantize", "static", "-o",
        dir.resolve("x.kiln").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--quantize static needs --calibrate DIR"), r.err());
    r = kiln("quantize-report", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--calibrate", dir.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no .npy files"), r.err());
    r = kiln("optimize", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[4,64]", "--quantize", "dynamic", "--calibrate",
        CALIB.toString(), "--accuracy-budget", "1%");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("use kiln compile or kiln quantize-report"), r.err());
    r = kiln("quantize-report", MLP.resolve("scripted.pt").toString(), "--input-type", "f32[8,64]", "--calibrate", CALIB.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("00.npy: calibration run failed"), r.err());
  }
}
