package dev.kiln.tests.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The quantization fixtures ({@code q_*}) must match PyTorch bit for bit, floats included: quantize, dequantize and
 * requantize are deterministic in PyTorch, and so is qnnpack's dynamic linear (int32 sums, then one multiply and
 * one add in float). {@link OpNumericsTest} checks them within its float tolerance; this test allows no difference.
 */
class QuantBitExactTest {
  @TestFactory
  Stream<DynamicTest> quantizedOpsEqualPyTorchExactly() throws IOException {
    Path dir = OpNumericsTest.fixtureDir();
    List<String> names = OpNumericsTest.caseNames(dir).stream().filter(n -> n.startsWith("q_")).toList();
    assertFalse(names.isEmpty(), "no q_* cases in " + dir);
    return names.stream().map(n -> DynamicTest.dynamicTest(n + " (bit-exact)", () -> check(dir, n)));
  }

  private static void check(Path dir, String name) throws IOException {
    Graph g = IrParser.parse(Files.readString(dir.resolve(name + ".kir")), name + ".kir");
    Verifier.verify(g);
    List<Object> inputs = new ArrayList<>();
    List<Value> params = g.params();
    for (int i = 0; i < params.size(); i++) inputs.add(Npy.read(dir.resolve(name + ".in" + i + ".npy")));
    List<Object> out = new Interpreter(g, Map.of()).run(inputs);
    for (int i = 0; i < out.size(); i++) {
      Tensor want = Npy.read(dir.resolve(name + ".out" + i + ".npy")), got = (Tensor) out.get(i);
      assertEquals(want.dtype(), got.dtype(), name + " output " + i);
      if (want.dtype().isFloat()) {
        float[] w = want.toFloatArray(), a = got.toFloatArray();
        for (int k = 0; k < w.length; k++)
          if (Float.floatToIntBits(w[k]) != Float.floatToIntBits(a[k]))
            throw new AssertionError(name + " output " + i + " element " + k + ": " + a[k] + ", PyTorch " + w[k]
                + " (diff " + Math.abs(a[k] - w[k]) + ")");
      } else {
        assertArrayEquals(want.toLongArray(), got.toLongArray(), name + " output " + i);
      }
    }
  }
}
