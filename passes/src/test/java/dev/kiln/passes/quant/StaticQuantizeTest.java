package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.NumericCheck;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Program;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.ObserverKind;
import dev.kiln.passes.quant.report.QuantReport;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** quantize=static on a small CNN: structure (fusion, no q/dq pairs between quantized ops) and float vs int8 error. */
class StaticQuantizeTest {
  static final String CNN = """
      graph @cnn(%x: f32[2,3,8,8]) -> (f32[2,10]) {
        %w1 = const {name="conv1.weight"} : f32[8,3,3,3]
        %b1 = const {name="conv1.bias"} : f32[8]
        %c1 = nn.conv2d(%x, %w1, %b1) {padding=[1,1]} : f32[2,8,8,8]
        %r1 = nn.relu(%c1) : f32[2,8,8,8]
        %w2 = const {name="conv2.weight"} : f32[8,8,3,3]
        %c2 = nn.conv2d(%r1, %w2) {padding=[1,1]} : f32[2,8,8,8]
        %s = nn.add(%c2, %r1) : f32[2,8,8,8]
        %r2 = nn.relu(%s) : f32[2,8,8,8]
        %p = nn.max_pool2d(%r2) {kernel_size=[2,2], stride=[2,2]} : f32[2,8,4,4]
        %g = nn.adaptive_avg_pool2d(%p) {output_size=[1,1]} : f32[2,8,1,1]
        %f = nn.flatten(%g) {start_dim=1} : f32[2,8]
        %fw = const {name="fc.weight"} : f32[10,8]
        %fb = const {name="fc.bias"} : f32[10]
        %y = nn.linear(%f, %fw, %fb) : f32[2,10]
        return(%y)
      }
      """;

  static CalibrationSet calibration(int n, long seed) {
    Random r = new Random(seed);
    List<Tensor> xs = new ArrayList<>();
    TensorType t = (TensorType) IrParser.parse(CNN, "cnn").params().getFirst().type();
    for (int i = 0; i < n; i++) xs.add(NumericCheck.random(t, r, false, Map.of()));
    return CalibrationSet.of(xs);
  }

  static Program program() {
    Graph g = IrParser.parse(CNN, "cnn");
    return Program.of(g, NumericCheck.randomWeights(g, 11));
  }

  @ParameterizedTest
  @EnumSource(ObserverKind.class)
  void cnnQuantizesEveryLayerWithinTolerance(ObserverKind kind) {
    Program f = QuantReport.named(program());
    List<PassRun> runs = new ArrayList<>();
    Program q = new PassManager(List.of(new QuantizePass(QuantConfig.calibrated(calibration(8, 1), kind)))).onPassRun(runs::add)
        .run(QuantReport.named(f));
    Verifier.verify(q.graph());
    String text = IrPrinter.print(q.graph());
    Map<String, Long> figures = runs.getLast().figures();
    assertEquals(1L, figures.get("q.conv2d_relu"), text);
    assertEquals(1L, figures.get("q.conv2d"), text);
    assertEquals(1L, figures.get("q.add_relu"), text);
    assertEquals(1L, figures.get("q.max_pool2d"), text);
    assertEquals(1L, figures.get("q.adaptive_avg_pool2d"), text);
    assertEquals(1L, figures.get("q.linear"), text);
    assertEquals(1L, figures.get("nn.flatten"), text); // on the quantized tensor
    // The input is quantized once and the output dequantized once: nothing in between.
    assertEquals(1L, figures.get("quantize"), text);
    assertEquals(1L, figures.get("dequantize"), text);
    for (Node n : q.graph().allNodes())
      if (n.op().name().equals("q.quantize_per_tensor"))
        assertFalse(n.operand(0).definingNode() != null && n.operand(0).definingNode().op().name().equals("q.dequantize"), text);
    // Error on fresh inputs (not the calibration set): the output keeps > 20 dB SQNR.
    QuantReport.Result r = QuantReport.measure(f, q, calibration(4, 99), (a, b) -> {});
    assertTrue(r.output().sqnrDb() > 20, kind + ": " + r.output());
    assertEquals(4, r.layers().size(), r.layers().toString()); // conv1, conv2, the add, fc
  }

  @Test
  void keptLayerStaysFloat() {
    Program q = new PassManager(List.of(new QuantizePass(QuantConfig.calibrated(calibration(2, 1), ObserverKind.MINMAX).withKeep(java.util.Set.of("fc")))))
        .run(program());
    String text = IrPrinter.print(q.graph());
    assertTrue(text.contains("%y = nn.linear("), text);
    assertTrue(text.contains("q.conv2d_relu("), text);
  }

  @Test
  void floatOutputComputesTheReturnedLinearWithAFloatResult() {
    CalibrationSet calib = calibration(8, 1);
    Program f = QuantReport.named(program());
    List<PassRun> runs = new ArrayList<>();
    assertTrue(((QuantizePass) PassManager.parse("quantize=static;calibrate=x;float-output").passes().getFirst()).config().floatOutput());
    Program q = new PassManager(List.of(new QuantizePass(QuantConfig.calibrated(calib, ObserverKind.MINMAX).withFloatOutput(true)))).onPassRun(runs::add)
        .run(QuantReport.named(f));
    Verifier.verify(q.graph());
    String text = IrPrinter.print(q.graph());
    Map<String, Long> figures = runs.getLast().figures();
    assertEquals(1L, figures.get("q.linear_dynamic"), text);
    assertEquals(null, figures.get("q.linear"), text);
    // The fc reads the dequantized pooled tensor and its f32 result is returned as it is.
    assertTrue(text.matches("(?s).*%y = q\\.linear_dynamic\\(%\\d+, %\\d+, %fb\\) : f32\\[2,10\\]\\n\\s*return\\(%y\\).*"), text);
    Program all8 = QuantReport.quantize(f, QuantConfig.calibrated(calib, ObserverKind.MINMAX));
    CalibrationSet fresh = calibration(4, 99);
    double floatOut = QuantReport.measure(f, q, fresh, (a, b) -> {}).output().sqnrDb();
    double int8Out = QuantReport.measure(f, all8, fresh, (a, b) -> {}).output().sqnrDb();
    // Only the output's own rounding is gone, so the error can only shrink (by a little: the conv layers dominate).
    assertTrue(floatOut > 20 && floatOut >= int8Out - 0.5, floatOut + " dB against " + int8Out + " dB with an 8-bit output");
  }

  @Test
  void pipelineFormNeedsCalibration() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("quantize=static"));
    assertTrue(e.getMessage().contains("calibrate=DIR"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("quantize=static;calibrate=x;observer=mse"));
    assertTrue(e.getMessage().contains("expected minmax, histogram or percentile"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("quantize=float16"));
    assertTrue(e.getMessage().contains("expected dynamic|static"), e.getMessage());
  }
}
