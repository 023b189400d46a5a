package dev.kiln.passes.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.NumericCheck;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchSeparable} on graphs that are and are not per-sample, and {@link PerSampleGraph}: the batch-1 text, and
 * numerics (the interpreter on the batched graph equals the batch-1 graph run sample by sample).
 */
class BatchSeparableTest {
  /** conv, relu6, residual add, pool, flatten, linear, softmax: a small CNN head to tail. */
  static final String CNN = """
      graph @cnn(%x: f32[B,3,8,8]) -> (f32[B,5]) {
        %w = const {name="w"} : f32[4,3,3,3]
        %b = const {name="b"} : f32[4]
        %fw = const {name="fw"} : f32[5,4]
        %fb = const {name="fb"} : f32[5]
        %s = const {name="s"} : f32[4,1,1]
        %0 = nn.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1]} : f32[B,4,8,8]
        %1 = nn.hardtanh(%0) {min_val=0.0, max_val=6.0} : f32[B,4,8,8]
        %2 = nn.mul(%1, %s) : f32[B,4,8,8]
        %3 = nn.add(%2, %0) {alpha=1} : f32[B,4,8,8]
        %4 = nn.max_pool2d(%3) {kernel_size=[2,2], stride=[2,2]} : f32[B,4,4,4]
        %5 = nn.adaptive_avg_pool2d(%4) {output_size=[1,1]} : f32[B,4,1,1]
        %6 = nn.flatten(%5) {start_dim=1} : f32[B,4]
        %7 = nn.linear(%6, %fw, %fb) : f32[B,5]
        %8 = nn.softmax(%7) {dim=-1} : f32[B,5]
        return(%8)
      }
      """;

  @ParameterizedTest
  @CsvSource({"3", "N"})
  void aCnnIsSeparableAtAStaticOrSymbolicBatch(String batch) {
    BatchSeparable.Result r = BatchSeparable.analyze(IrParser.parse(CNN.replace("B", batch), "cnn"));
    assertTrue(r.separable(), r.reason());
    assertEquals(batch.equals("N") ? Dim.sym("N") : Dim.of(3), r.batch());
    assertEquals(10, r.batched().size()); // %x and %0..%8
  }

  /** Each graph breaks per-sample independence in one way; the reason names what. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "%y = nn.softmax(%x) {dim=0} : f32[4,6]|f32[4,6]|normalizes over dim 0",
      "%y = nn.sum(%x) {dims=[0], keepdim=true} : f32[1,6]|f32[1,6]|reduces over dim 0",
      "%y = nn.mean(%x) : f32[]|f32[]|reduces over all dims",
      "%y = nn.reshape(%x) {shape=[24]} : f32[24]|f32[24]|does not keep the batch",
      "%y = nn.reshape(%x) {shape=[2,12]} : f32[2,12]|f32[2,12]|does not keep the batch",
      "%y = nn.transpose(%x) {dim0=0, dim1=1} : f32[6,4]|f32[6,4]|moves dim 0",
      "%y = nn.squeeze(%x) : f32[4,6]|f32[4,6]|squeezes every dim",
      "%c = const {name=\"c\"} : f32[4,6]; %y = nn.add(%x, %c) {alpha=1} : f32[4,6]|f32[4,6]|has its own dim 0",
      "%c = const {name=\"c\"} : f32[6,4]; %y = nn.matmul(%c, %x) : f32[6,6]|f32[6,6]|right operand is batched",
      "%c = const {name=\"c\"} : f32[4,6,3]; %y = nn.bmm(%x.3, %c) : f32[4,5,3]|f32[4,5,3]|only one operand",
      "%c = const {name=\"c\"} : f32[4,6]; %y = nn.cat(%x, %c) {dim=1} : f32[4,12]|f32[4,12]|joins an unbatched",
      "%y = nn.slice(%x) {dim=0, start=0, end=2, step=1} : f32[2,6]|f32[2,6]|works along dim 0",
      "%n = prim.size(%x) {dim=0} : int; %y = nn.mul(%x, %n) : f32[4,6]|f32[4,6]|no per-sample rule for prim.size",
      "%q = nn.attention(%x.3, %x.3, %x.3) : f32[4,5,6]; %y = nn.relu(%q) : f32[4,5,6]|f32[4,5,6]|no per-sample rule for nn.attention"})
  void aGraphTouchingDim0IsNotSeparable(String body, String resultType, String why) {
    String ir = "graph @g(%x: f32[4,6], %x.3: f32[4,5,6]) -> (" + resultType + ") {\n  " + body.replace("; ", "\n  ") + "\n  return(%y)\n}\n";
    BatchSeparable.Result r = BatchSeparable.analyze(IrParser.parse(ir, "g"));
    assertFalse(r.separable(), ir);
    assertTrue(r.reason().contains(why), r.reason());
  }

  @Test
  void aChannelsFirstConvWithoutBatchIsNotSeparable() {
    String ir = """
        graph @g(%x: f32[3,8,8]) -> (f32[4,8,8]) {
          %w = const {name="w"} : f32[4,3,3,3]
          %y = nn.conv2d(%x, %w) {stride=[1,1], padding=[1,1]} : f32[4,8,8]
          return(%y)
        }
        """;
    BatchSeparable.Result r = BatchSeparable.analyze(IrParser.parse(ir, "g"));
    assertFalse(r.separable());
    assertTrue(r.reason().contains("dim 0 is channels"), r.reason());
  }

  @Test
  void parametersWithDifferentBatchesAreNotSeparable() {
    String ir = """
        graph @g(%a: f32[4,6], %b: f32[2,6]) -> (f32[4,6]) {
          %y = nn.relu(%a) : f32[4,6]
          return(%y)
        }
        """;
    assertTrue(BatchSeparable.analyze(IrParser.parse(ir, "g")).reason().contains("disagree on dim 0"));
  }

  /** Golden before/after of the rewrite: every batched type at 1, the reshape's written batch at 1, weights alone. */
  @Test
  void thePerSampleGraphHasBatchOne() {
    String before = """
        graph @g(%x: f32[8,4,2,2]) -> (f32[8,2]) {
          %w = const {name="w"} : f32[2,16]
          %0 = nn.relu(%x) : f32[8,4,2,2]
          %1 = nn.reshape(%0) {shape=[8,-1]} : f32[8,16]
          %2 = nn.linear(%1, %w) : f32[8,2]
          return(%2)
        }
        """;
    String after = """
        graph @g(%x: f32[1,4,2,2]) -> (f32[1,2]) {
          %w = const {name="w"} : f32[2,16]
          %0 = nn.relu(%x) : f32[1,4,2,2]
          %1 = nn.reshape(%0) {shape=[1,-1]} : f32[1,16]
          %2 = nn.linear(%1, %w) : f32[1,2]
          return(%2)
        }
        """;
    Graph g = IrParser.parse(before, "g");
    assertEquals(after, IrPrinter.print(PerSampleGraph.of(g)));
    assertEquals(before, IrPrinter.print(g), "the given graph is not changed");
  }

  @Test
  void aGraphThatIsNotSeparableHasNoPerSampleGraph() {
    String ir = "graph @g(%x: f32[4,6]) -> (f32[4,6]) {\n  %y = nn.softmax(%x) {dim=0} : f32[4,6]\n  return(%y)\n}\n";
    assertThrows(IllegalArgumentException.class, () -> PerSampleGraph.of(IrParser.parse(ir, "g")));
  }

  /** The interpreter on [3,...] equals the batch-1 graph run on each sample, for a static and a symbolic batch. */
  @ParameterizedTest
  @CsvSource({"3", "N"})
  void samplesThroughTheBatchOneGraphEqualTheBatch(String batch) {
    Graph g = IrParser.parse(CNN.replace("B", batch), "cnn");
    Map<String, Tensor> w = NumericCheck.randomWeights(g, 7);
    Graph one = PerSampleGraph.of(g);
    Random r = new Random(3);
    float[] x = new float[3 * 3 * 8 * 8];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    Tensor all = (Tensor) new Interpreter(g, w).run(List.of(Tensor.fromFloats(x, 3, 3, 8, 8))).get(0);
    Interpreter perSample = new Interpreter(one, w);
    List<Double> got = new ArrayList<>(), want = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      float[] xs = java.util.Arrays.copyOfRange(x, s * 192, (s + 1) * 192);
      Tensor y = (Tensor) perSample.run(List.of(Tensor.fromFloats(xs, 1, 3, 8, 8))).get(0);
      assertEquals(List.of(1L, 5L), java.util.Arrays.stream(y.shape()).boxed().toList());
      for (double d : y.toDoubleArray()) got.add(d);
    }
    for (double d : all.toDoubleArray()) want.add(d);
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), 1e-6, "element " + i);
  }
}
