package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.NumericCheck;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** quantize=dynamic on MLP and LSTM graphs: structure, figures, and interpreter float vs quantized. */
class DynamicQuantizeTest {
  static final String MLP = """
      graph @mlp(%x: f32[4,16]) -> (f32[4,8]) {
        %w1 = const {name="fc1.weight"} : f32[32,16]
        %b1 = const {name="fc1.bias"} : f32[32]
        %h = nn.linear(%x, %w1, %b1) : f32[4,32]
        %r = nn.relu(%h) : f32[4,32]
        %w2 = const {name="fc2.weight"} : f32[8,32]
        %y = nn.linear(%r, %w2) : f32[4,8]
        return(%y)
      }
      """;

  static final String LSTM = """
      graph @lstm(%x: f32[2,5,6]) -> (f32[2,5,4], f32[2,2,4]) {
        %h0 = const {name="h0"} : f32[2,2,4]
        %c0 = const {name="c0"} : f32[2,2,4]
        %wi0 = const {name="lstm.weight_ih_l0"} : f32[16,6]
        %wh0 = const {name="lstm.weight_hh_l0"} : f32[16,4]
        %bi0 = const {name="lstm.bias_ih_l0"} : f32[16]
        %bh0 = const {name="lstm.bias_hh_l0"} : f32[16]
        %wi1 = const {name="lstm.weight_ih_l1"} : f32[16,4]
        %wh1 = const {name="lstm.weight_hh_l1"} : f32[16,4]
        %bi1 = const {name="lstm.bias_ih_l1"} : f32[16]
        %bh1 = const {name="lstm.bias_hh_l1"} : f32[16]
        %out, %hn, %cn = nn.lstm(%x, %h0, %c0, %wi0, %wh0, %bi0, %bh0, %wi1, %wh1, %bi1, %bh1) {num_layers=2, batch_first=true} : (f32[2,5,4], f32[2,2,4], f32[2,2,4])
        return(%out, %cn)
      }
      """;

  /** Runs {@code pipeline} and returns the largest |quantized - float| relative to the largest |float| over outputs. */
  static double relativeError(String text, String pipeline, List<PassRun> runs, boolean[] changed) {
    Graph g = IrParser.parse(text, "test");
    Map<String, Tensor> w = NumericCheck.randomWeights(g, 7);
    Random r = new Random(3);
    List<Object> in = new ArrayList<>();
    for (var p : g.params()) in.add(NumericCheck.random((TensorType) p.type(), r, false, Map.of()));
    List<Object> before = new Interpreter(g, w).run(in);
    String printedBefore = IrPrinter.print(g);
    Program p = PassManager.parse(pipeline).onPassRun(runs::add).run(Program.of(g, w));
    Verifier.verify(p.graph());
    changed[0] = !IrPrinter.print(p.graph()).equals(printedBefore);
    List<Object> after = new Interpreter(p.graph(), p.weights()).run(in);
    double worst = 0;
    for (int i = 0; i < before.size(); i++) {
      Tensor a = (Tensor) before.get(i), b = (Tensor) after.get(i);
      double max = 0;
      for (double v : a.toDoubleArray()) max = Math.max(max, Math.abs(v));
      worst = Math.max(worst, a.maxAbsDiff(b) / max);
    }
    return worst;
  }

  @Test
  void mlpLinearsBecomeDynamicWithinTwoPercent() {
    List<PassRun> runs = new ArrayList<>();
    boolean[] changed = {false};
    double err = relativeError(MLP, "quantize=dynamic", runs, changed);
    assertTrue(changed[0]);
    assertTrue(err < 0.02, "relative error " + err);
    assertEquals(2L, runs.getLast().figures().get("linear"));
  }

  @Test
  void perTensorAndKeep() {
    Graph g = IrParser.parse(MLP, "test");
    Program p = PassManager.parse("quantize=dynamic;per-tensor;keep=fc2").run(Program.of(g, NumericCheck.randomWeights(g, 1)));
    String text = IrPrinter.print(p.graph());
    assertTrue(text.contains("const {name=\"fc1.weight.qi8\"} : qi8[32,16]{q="), "per tensor: " + text);
    assertTrue(text.matches("(?s).*%h = q.linear_dynamic\\(%x, %[0-9]+, %b1\\) : f32\\[4,32\\].*"), text);
    assertTrue(text.contains("%y = nn.linear(%r, %w2)"), "fc2 kept: " + text);
    assertTrue(p.weights().containsKey("fc1.weight.qi8"));
  }

  @Test
  void fusedLinearGroupsAreUndoneAndQuantized() {
    List<PassRun> runs = new ArrayList<>();
    boolean[] changed = {false};
    double err = relativeError(MLP, "fuse,quantize=dynamic", runs, changed);
    assertTrue(err < 0.02, "relative error " + err);
    assertEquals(2L, runs.getLast().figures().get("linear"));
    assertEquals(1L, runs.getLast().figures().get("unfused"));
  }

  @Test
  void lstmIsUnrolledOverDynamicLinears() {
    List<PassRun> runs = new ArrayList<>();
    boolean[] changed = {false};
    double err = relativeError(LSTM, "quantize=dynamic", runs, changed);
    assertTrue(err < 0.03, "relative error " + err);
    PassRun q = runs.getLast();
    assertEquals(1L, q.figures().get("lstm"));
    // per layer: one projection of the whole sequence and one hidden projection per step
    assertEquals(2L * (1 + 5), q.figures().get("linear"));
  }

  @Test
  void unknownWeightsStayFloat() {
    Graph g = IrParser.parse(MLP, "test");
    Program p = PassManager.parse("quantize=dynamic").run(Program.of(g));
    assertFalse(IrPrinter.print(p.graph()).contains("q."), IrPrinter.print(p.graph()));
  }
}
