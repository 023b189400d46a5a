package dev.kiln.tests.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmCompiled;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Compile, then load in a fresh JVM, then run: a TorchScript fixture is imported at its input's shape, optimized
 * (-O2), compiled by the JVM backend and written as a .kiln; a new {@code java} process whose class path holds only
 * kiln-ir, kiln-runtime and {@link RunArtifactMain} loads it with {@code KilnModel.load}, runs it and writes the
 * outputs, which must match the interpreter on the imported (unoptimized) graph within 1e-4 of each output's largest
 * magnitude. The transformer and the LSTM also exercise reference calls inside the generated class.
 */
class FreshJvmArtifactTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-4;

  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"cnn,frozen", "transformer,frozen", "lstm,frozen"})
  void anArtifactRunsInANewJvmAsTheInterpreter(String model, String flavour) throws Exception {
    Path pt = MODELS.resolve(model).resolve(flavour + ".pt");
    Tensor input = Npy.read(MODELS.resolve(model).resolve("input.npy"));
    var imported = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(input.dtype(), input.shape())));
    List<Object> want = new Interpreter(imported.graph(), imported.weights()).run(List.of(input));

    Path artifact = dir.resolve(model + ".kiln");
    compile(imported.graph(), imported.weights(), artifact);
    Path in = dir.resolve("input.npy");
    Npy.write(in, input);
    List<Path> outs = new ArrayList<>();
    for (int i = 0; i < want.size(); i++) outs.add(dir.resolve("output" + i + ".npy"));

    String stdout = runInFreshJvm(artifact, in, outs);
    assertTrue(stdout.startsWith("ran jvm ("), stdout);
    for (int i = 0; i < want.size(); i++) {
      Tensor w = (Tensor) want.get(i), got = Npy.read(outs.get(i));
      assertEquals(List.of(boxed(w.shape())), List.of(boxed(got.shape())), model + " output " + i + " shape");
      double scale = 1e-6;
      for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertTrue(got.allClose(w, RTOL * scale, RTOL), model + " output " + i + ": max |diff| " + got.maxAbsDiff(w) + " vs scale " + scale);
    }
  }

  /** What {@code kiln compile --backend jvm -O2} does, without the CLI (not a dependency of this module). */
  private static void compile(Graph importedGraph, Map<String, Tensor> weights, Path out) throws Exception {
    Graph copy = IrParser.parse(IrPrinter.print(importedGraph), importedGraph.name()); // passes rewrite in place
    String pipeline = Pipelines.level(2);
    Program p = PassManager.parse(pipeline).run(Program.of(copy, weights));
    Map<String, Tensor> used = new TreeMap<>();
    for (Node n : p.graph().allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name")) used.put(n.attrStr("name"), p.weights().get(n.attrStr("name")));
    JvmCompiled jc = JvmBackend.compile(p.graph(), used, new JvmOptions("dev.kiln.gen.Fresh", true));
    ArtifactWriter.write(out, p.graph(), used, "jvm", pipeline, jc.entryClass(), jc.classes());
  }

  /**
   * Starts {@code java} (this JVM's own binary) with the Vector API flags and a class path of exactly the folders or
   * jars that hold RunArtifactMain, KilnModel (kiln-runtime) and Graph (kiln-ir); returns its stdout.
   */
  private String runInFreshJvm(Path artifact, Path in, List<Path> outs) throws Exception {
    return FreshJvm.run(dir, artifact, in, outs, JvmBackend.class);
  }

  private static Long[] boxed(long[] a) { return java.util.Arrays.stream(a).boxed().toArray(Long[]::new); }
}
