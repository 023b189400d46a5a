package dev.kiln.tests.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.passes.fuse.FusePass;
import dev.kiln.passes.layout.NhwcPass;
import dev.kiln.passes.memory.MemoryPlan;
import dev.kiln.passes.memory.MemoryPlanner;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real-model fixtures through -O2's structural passes: fuse and nhwc keep the interpreter's outputs (within
 * 1e-5 relative) and the memory plan is sound. Expected conversion counts: one into and one out of the network.
 */
class OptimizedModelsTest {
  static final Path MODELS = Path.of("fixtures/models");

  static Stream<Arguments> models() {
    // traced.pt where the importer reads it (scripted resnet/mobilenet and traced transformer did not import yet).
    return Stream.of(Arguments.of("resnet_small", "traced.pt", 2), Arguments.of("mobilenet_v2", "traced.pt", 2),
        Arguments.of("squeezenet1_1", "traced.pt", 2), Arguments.of("cnn", "scripted.pt", 2), Arguments.of("mlp", "scripted.pt", 0),
        Arguments.of("transformer", "scripted.pt", 0));
  }

  @ParameterizedTest
  @MethodSource("models")
  void fuseAndNhwcKeepOutputs(String model, String file, int conversions) {
    Path dir = MODELS.resolve(model);
    Tensor in = Npy.read(dir.resolve("input.npy"));
    var imported = TorchScriptImporter.importArchive(dir.resolve(file), List.of(Type.tensor(in.dtype(), in.shape())));
    Program p = PassManager.parse(Pipelines.level(2)).run(Program.of(imported.graph(), imported.weights()));
    Graph g = p.graph();
    Tensor want = (Tensor) new Interpreter(g, p.weights()).run(List.of(in)).get(0);
    new FusePass().run(g);
    NhwcPass.Stats s = NhwcPass.convert(g);
    Verifier.verify(g);
    assertEquals(conversions, s.remaining(), model + ": layout conversions left");
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertEquals(List.of(), plan.check());
    assertTrue(plan.arenaBytes() <= plan.naiveBytes(), plan.summary());
    Tensor got = (Tensor) new Interpreter(g, p.weights()).run(List.of(in)).get(0);
    assertArrayEquals(want.shape(), got.shape());
    float[] a = want.toFloatArray(), b = got.toFloatArray();
    for (int i = 0; i < a.length; i++)
      assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 * Math.abs(a[i]) + 1e-6, model + " element " + i + ": " + a[i] + " vs " + b[i]);
  }
}
