package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.BatchSplitModel;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link BatchSplit} on a small conv net written for a static batch of 3 or a symbolic {@code N}: the entry class
 * extends {@link BatchSplitModel} over a batch-1 class, its warm-up inputs keep the signature's batch, and its
 * outputs equal the interpreter's (for a symbolic batch, at several batch sizes).
 */
class BatchSplitJvmTest {
  static final String IR = """
      graph @g(%x: f32[B,2,6,6]) -> (f32[B,3]) {
        %w = const {name="w"} : f32[4,2,3,3]
        %fw = const {name="fw"} : f32[3,36]
        %0 = nn.conv2d(%x, %w) {stride=[1,1], padding=[0,0]} : f32[B,4,4,4]
        %1 = nn.relu(%0) : f32[B,4,4,4]
        %2 = nn.max_pool2d(%1) {kernel_size=[2,2], stride=[1,1]} : f32[B,4,3,3]
        %3 = nn.reshape(%2) {shape=[B,-1]} : f32[B,36]
        %4 = nn.linear(%3, %fw) : f32[B,3]
        return(%4)
      }
      """;

  @AfterEach void clear() { System.clearProperty(BatchSplit.PROPERTY); }

  @ParameterizedTest
  @CsvSource({"3,3", "N,1", "N,5"})
  void theSplitModelEqualsTheInterpreter(String batch, int n) {
    System.setProperty(BatchSplit.PROPERTY, "always");
    String text = IR.replace("B", batch).replace("[N,-1]", "[-1,36]");
    Graph g = IrParser.parse(text, "g");
    Random r = new Random(5);
    Map<String, Tensor> w = Map.of("w", random(r, 4, 2, 3, 3), "fw", random(r, 3, 36));
    JvmCompiled c = JvmBackend.compile(g, w, new JvmOptions("dev.kiln.gen.Split" + batch, true));
    assertEquals(2, c.classes().size());
    assertEquals(batch.equals("N") ? 1 : 3, c.warmupInputs().get(0).shape()[0]);
    CompiledModel m = c.instantiate(w);
    assertTrue(m instanceof BatchSplitModel);
    Tensor x = random(r, n, 2, 6, 6);
    Tensor want = (Tensor) new Interpreter(IrParser.parse(text, "g"), w).run(List.of(x)).get(0);
    Tensor got = (Tensor) m.run(List.of(x)).get(0);
    assertEquals(List.of((long) n, 3L), java.util.Arrays.stream(got.shape()).boxed().toList());
    assertTrue(got.allClose(want, 1e-5, 1e-5), "max |diff| " + got.maxAbsDiff(want));
  }

  static Tensor random(Random r, long... shape) {
    float[] a = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
    return Tensor.fromFloats(a, shape);
  }
}
