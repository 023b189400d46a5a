package dev.kiln.tests.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.GraphStats;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The optimization levels on the real-model fixtures (tests/fixtures/models, made by gen_models.py): each model is
 * imported from its scripted archive with a symbolic batch {@code N}, and its outputs on the fixture input must be
 * the same (within 1e-5 relative to each output's largest magnitude) before and after -O1 and -O2. Also prints
 * the node counts used in docs/passes.md. A model the importer cannot read yet is skipped, saying why.
 */
class RealModelPassesTest {
  static final Path MODELS = Path.of("fixtures/models");
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @ValueSource(strings = {"mlp", "cnn", "controlflow", "views", "lstm", "mobilenet_v2", "resnet_small", "squeezenet1_1", "transformer"})
  void levelsKeepTheOutputs(String model) throws Exception {
    Path dir = MODELS.resolve(model);
    Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("scripted.pt")), "no fixture " + dir);
    Tensor input = Npy.read(dir.resolve("input.npy"));
    TorchScriptImporter.ImportedModel m;
    try {
      m = TorchScriptImporter.importArchive(dir.resolve("scripted.pt"), List.of(batchSymbolic(input)));
    } catch (RuntimeException symbolic) {
      // Some models need every size while lowering (an LSTM's zero state): import them with the fixture's shape.
      try {
        m = TorchScriptImporter.importArchive(dir.resolve("scripted.pt"), List.of(Type.tensor(input.dtype(), input.shape())));
      } catch (RuntimeException e) {
        Assumptions.abort("the importer cannot read " + model + " yet: " + e.getMessage());
        return;
      }
    }
    Graph g = m.graph();
    List<Object> want = new Interpreter(g, m.weights()).run(List.of(input));
    StringBuilder figures = new StringBuilder(model + ": " + g.allNodes().size() + " nodes, "
        + GraphStats.of(g).nodesByOp().getOrDefault("nn.batch_norm", 0) + " batch norms");
    for (int level = 1; level <= 2; level++) {
      Graph copy = IrParser.parse(IrPrinter.print(g), model + " (copy)");
      Program out = PassManager.parse(Pipelines.level(level)).run(Program.of(copy, m.weights()));
      List<Object> got = new Interpreter(out.graph(), out.weights()).run(List.of(input));
      assertEquals(want.size(), got.size());
      for (int i = 0; i < want.size(); i++) assertClose(want.get(i), got.get(i), model + " -O" + level + " output " + i);
      int after = out.graph().allNodes().size();
      // -O1 only removes; -O2's fusion adds a yield per fused group, so it is not compared.
      if (level == 1) assertTrue(after <= g.allNodes().size(), model + " -O1 grew the graph");
      figures.append(", -O").append(level).append(' ').append(after).append(" (").append(out.graph().body().nodes().size()).append(" top-level)");
      figures.append(", ").append(GraphStats.of(out.graph()).nodesByOp().getOrDefault("nn.batch_norm", 0)).append(" batch norms");
    }
    System.out.println("[figures] " + figures);
  }

  /** The fixture input's type with dim 0 as the symbolic batch N. */
  private static TensorType batchSymbolic(Tensor t) {
    List<Dim> dims = new ArrayList<>();
    long[] s = t.shape();
    for (int i = 0; i < s.length; i++) dims.add(i == 0 ? Dim.sym("N") : Dim.of(s[i]));
    return Type.tensor(t.dtype() == null ? DType.F32 : t.dtype(), Shape.of(dims));
  }

  private static void assertClose(Object want, Object got, String what) {
    switch (want) {
      case Tensor w -> {
        assertTrue(got instanceof Tensor, what + ": expected a tensor");
        double scale = 1e-6;
        for (double d : w.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
        assertTrue(((Tensor) got).allClose(w, RTOL * scale, RTOL), what + ": max |diff| " + ((Tensor) got).maxAbsDiff(w) + " vs scale " + scale);
      }
      case Tuple t -> {
        for (int i = 0; i < t.size(); i++) assertClose(t.get(i), ((Tuple) got).get(i), what + "[" + i + "]");
      }
      case List<?> l -> {
        for (int i = 0; i < l.size(); i++) assertClose(l.get(i), ((List<?>) got).get(i), what + "[" + i + "]");
      }
      case null, default -> assertEquals(want, got, what);
    }
  }
}
