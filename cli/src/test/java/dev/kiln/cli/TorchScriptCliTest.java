package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands on TorchScript archives (.pt) and sources (.py), checked against PyTorch's outputs. */
class TorchScriptCliTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path MLP = ROOT.resolve("tests/fixtures/models/mlp");
  private static final Path SCRIPTS = ROOT.resolve("samples/scripts");

  @TempDir Path dir;

  @Test
  void runAnArchiveWritesPyTorchsOutput() {
    Path out = dir.resolve("y.npy");
    Result r = kiln("run", MLP.resolve("scripted.pt").toString(), "--input", MLP.resolve("input.npy").toString(), "--output", out.toString());
    assertEquals(0, r.code(), r.all());
    Tensor want = Npy.read(MLP.resolve("output.npy")), got = Npy.read(out);
    assertTrue(got.maxAbsDiff(want) <= 1e-4, "max abs diff " + got.maxAbsDiff(want));
  }

  @Test
  void inspectAnArchivePrintsItsGraphIrWithASymbolicBatch() {
    Result r = kiln("inspect", MLP.resolve("frozen.pt").toString(), "--input-type", "f32[N,64]");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().startsWith("graph @"), r.all());
    assertTrue(r.out().contains("nn.linear(") && r.out().contains("f32[N,"), r.all());
  }

  @Test
  void inspectAnArchiveWithoutInputTypesSaysWhatToGive() {
    Result r = kiln("inspect", MLP.resolve("frozen.pt").toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("frozen.pt") && r.err().contains("--input-type"), r.all());
  }

  @Test
  void runATorchScriptSourceFileByEntryName() {
    Path out = dir.resolve("y.npy");
    Result r = kiln("run", SCRIPTS.resolve("attention_head.py").toString(), "--entry", "forward",
        "--input", SCRIPTS.resolve("q.npy").toString(), "--input", SCRIPTS.resolve("k.npy").toString(),
        "--input", SCRIPTS.resolve("v.npy").toString(), "--output", out.toString());
    assertEquals(0, r.code(), r.all());
    Tensor want = Npy.read(SCRIPTS.resolve("expected.npy")), got = Npy.read(out);
    assertTrue(got.maxAbsDiff(want) <= 1e-5, "max abs diff " + got.maxAbsDiff(want));
  }

  @Test
  void optimizeAnArchiveAtO2ReportsEachPassWithItsFigures() {
    Path cnn = ROOT.resolve("tests/fixtures/models/cnn/frozen.pt");
    Result r = kiln("optimize", cnn.toString(), "--input-type", "f32[N,3,32,32]", "-O2");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().startsWith("graph @") && r.out().contains("fused("), r.all());
    assertTrue(r.err().contains("fold-bn") && r.err().contains("nhwc") && r.err().contains("remaining"), r.all());
  }

  @Test
  void aTruncatedArchiveNamesTheFile() throws IOException {
    byte[] bytes = Files.readAllBytes(MLP.resolve("frozen.pt"));
    Path cut = dir.resolve("cut.pt");
    Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    Result r = kiln("run", cut.toString(), "--input", MLP.resolve("input.npy").toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("cut.pt"), r.all());
    assertTrue(!r.err().contains("\tat "), "no stack trace without --debug\n" + r.all());
  }

  @Test
  void anUnknownModelKindIsRefusedByExtension() throws IOException {
    Path f = Files.writeString(dir.resolve("model.onnx"), "x");
    Result r = kiln("run", f.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("model.onnx") && r.err().contains(".pt"), r.all());
  }
}
