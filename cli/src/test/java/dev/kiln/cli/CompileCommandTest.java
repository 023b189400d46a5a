package dev.kiln.cli;

import static dev.kiln.cli.KilnCliTest.kiln;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCliTest.Result;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.Shape;
import dev.kiln.ir.DType;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln compile} writes artifacts that run as the interpreter does; {@link ArtifactRunner} runs them. */
class CompileCommandTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path SAMPLE = ROOT.resolve("samples/ir");
  private static final Path MLP = ROOT.resolve("tests/fixtures/models/mlp");

  @TempDir Path dir;

  @Test
  void theSampleIrModelCompilesAtEveryLevelAndRunsAsTheInterpreter() throws IOException {
    Graph g = IrParser.parse(Files.readString(SAMPLE.resolve("mlp.kir")), "mlp.kir");
    Map<String, Tensor> w = WeightLoader.load(g, SAMPLE.resolve("mlp.kir"), null);
    Tensor x = Npy.read(SAMPLE.resolve("mlp.input.npy"));
    Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
    for (String level : List.of("-O0", "-O1", "-O2")) {
      Path out = dir.resolve("mlp" + level + ".kiln");
      Result r = kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", out.toString(), level);
      assertEquals(0, r.code(), r.all());
      assertTrue(r.out().startsWith("wrote " + out + " (backend interp, 4 weights, "), r.all());
      KilnModel m = KilnModel.load(out);
      Tensor got = m.run(Map.of("x", x)).get("probs");
      assertTrue(got.maxAbsDiff(want) <= 1e-6, level + ": max abs diff " + got.maxAbsDiff(want));
      assertEquals(dev.kiln.passes.Pipelines.level(Integer.parseInt(level.substring(2))), m.manifest().pipeline());
    }
  }

  @Test
  void aTorchScriptArchiveCompilesWithASymbolicBatch() throws IOException {
    Path out = dir.resolve("mlp.kiln");
    Result r = kiln("compile", MLP.resolve("frozen.pt").toString(), "--input-type", "f32[N,64]", "-o", out.toString());
    assertEquals(0, r.code(), r.all());
    KilnModel m = KilnModel.load(out);
    assertEquals("N", m.signature().inputs().getFirst().dims().getFirst());
    Tensor x = Npy.read(MLP.resolve("input.npy"));
    Tensor got = m.run(x).getFirst();
    var imported = TorchScriptImporter.importArchive(MLP.resolve("frozen.pt"), List.of(Type.tensor(DType.F32, Shape.of(x.shape()))));
    Tensor interp = (Tensor) new Interpreter(imported.graph(), imported.weights()).run(List.of(x)).getFirst();
    assertTrue(got.maxAbsDiff(interp) <= 1e-5, "vs the interpreter on the imported graph: " + got.maxAbsDiff(interp));
    Tensor torch = Npy.read(MLP.resolve("output.npy"));
    assertTrue(got.maxAbsDiff(torch) <= 1e-4, "vs PyTorch: " + got.maxAbsDiff(torch));
  }

  @Test
  void theArtifactRunnerRunsAndWritesOutputsAndNamesBadInputs() throws IOException {
    Path out = dir.resolve("mlp.kiln");
    assertEquals(0, kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", out.toString()).code());
    assertTrue(ArtifactRunner.handles(out));
    assertTrue(!ArtifactRunner.handles(SAMPLE.resolve("mlp.kir")));
    Path y = dir.resolve("y.npy");
    StringWriter text = new StringWriter();
    Tensor x = Npy.read(SAMPLE.resolve("mlp.input.npy"));
    assertEquals(0, ArtifactRunner.run(out, List.of(SAMPLE.resolve("mlp.input.npy")), List.of(y), new PrintWriter(text)));
    assertEquals("wrote output probs to " + y + "\n", text.toString());
    assertTrue(Npy.read(y).maxAbsDiff(KilnModel.load(out).run(x).getFirst()) == 0);
    text.getBuffer().setLength(0);
    ArtifactRunner.run(out, List.of(SAMPLE.resolve("mlp.input.npy")), List.of(), new PrintWriter(text));
    assertTrue(text.toString().startsWith("output probs: f32[2,3]"), text.toString());
    CliException e = assertThrows(CliException.class, () -> ArtifactRunner.run(out, List.of(), List.of(), new PrintWriter(new StringWriter())));
    assertEquals(out + ": the model takes 1 input (x: f32[N,4]), got 0 --input", e.getMessage());
    Path wrong = dir.resolve("wrong.npy");
    Npy.write(wrong, Tensor.fromFloats(new float[6], 2, 3));
    e = assertThrows(CliException.class, () -> ArtifactRunner.run(out, List.of(wrong), List.of(), new PrintWriter(new StringWriter())));
    assertEquals(out + ": input \"x\": expected f32[N,4], got f32[2,3] (dim 1 is 3, expected 4)", e.getMessage());
    Result viaRun = kiln("run", out.toString(), "--input", SAMPLE.resolve("mlp.input.npy").toString());
    assertEquals(0, viaRun.code(), viaRun.all());
    assertTrue(viaRun.out().startsWith("output probs: f32[2,3]"), viaRun.all());
  }

  @Test
  void theJvmBackendWritesGeneratedClassesThatRunAsTheInterpreter() throws IOException {
    Path out = dir.resolve("mlp-jvm.kiln");
    Result r = kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", out.toString(), "--backend", "jvm");
    assertEquals(0, r.code(), r.all());
    KilnModel m = KilnModel.load(out);
    assertEquals("jvm", m.manifest().backend());
    Graph g = IrParser.parse(Files.readString(SAMPLE.resolve("mlp.kir")), "mlp.kir");
    Tensor x = Npy.read(SAMPLE.resolve("mlp.input.npy"));
    Tensor want = (Tensor) new Interpreter(g, WeightLoader.load(g, SAMPLE.resolve("mlp.kir"), null)).run(List.of(x)).getFirst();
    Tensor got = m.run(x).getFirst();
    assertTrue(got.maxAbsDiff(want) <= 1e-5, "max abs diff " + got.maxAbsDiff(want));
  }

  @Test
  void unknownBackendsAreErrors() {
    Result r = kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", dir.resolve("m.kiln").toString(), "--backend", "tpu");
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: --backend tpu: expected interp, jvm or llvm\n", r.err());
    assertTrue(!Files.exists(dir.resolve("m.kiln")));
  }

  @Test
  @org.junit.jupiter.api.Tag("llvm")
  void anLlvmArtifactForAPortableTargetRunsAsTheInterpreter() throws IOException {
    Path out = dir.resolve("m.kiln");
    Result r = kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", out.toString(), "--backend", "llvm", "--target", "x86-64-v3");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().startsWith("wrote " + out + " (backend llvm, 4 weights, "), r.all());
    KilnModel m = KilnModel.load(out);
    assertEquals("llvm", m.manifest().backend());
    assertEquals("x86-64-v3", m.manifest().nativeCode().cpu());
    assertTrue(m.manifest().nativeCode().features().containsAll(List.of("+avx2", "+fma")), m.manifest().nativeCode().features().toString());
    assertTrue(!m.manifest().nativeCode().features().contains("+avx512f"), m.manifest().nativeCode().features().toString());
    Graph g = IrParser.parse(Files.readString(SAMPLE.resolve("mlp.kir")), "mlp.kir");
    Tensor x = Npy.read(SAMPLE.resolve("mlp.input.npy"));
    Tensor want = (Tensor) new Interpreter(g, WeightLoader.load(g, SAMPLE.resolve("mlp.kir"), null)).run(List.of(x)).getFirst();
    assertTrue(m.run(x).getFirst().maxAbsDiff(want) <= 1e-5, "max abs diff " + m.run(x).getFirst().maxAbsDiff(want));
    Result run = kiln("run", out.toString(), "--input", SAMPLE.resolve("mlp.input.npy").toString());
    assertEquals(0, run.code(), run.all());
  }

  @Test
  void aTargetNeedsTheLlvmBackendAndAKnownCpu() {
    Result r = kiln("compile", SAMPLE.resolve("mlp.kir").toString(), "-o", dir.resolve("m.kiln").toString(), "--target", "x86-64-v3");
    assertEquals(1, r.code(), r.all());
    assertEquals("kiln: --target x86-64-v3: only the llvm backend compiles for a CPU\n", r.err());
  }

  @Test
  void aDamagedArtifactIsNamedByTheRunner() throws IOException {
    Path bad = dir.resolve("bad.kiln");
    Files.writeString(bad, "not a zip");
    Result r = kiln("bench", bad.toString());
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().startsWith("kiln: " + bad + ": not a zip archive"), r.all());
  }
}
