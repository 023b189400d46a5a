package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.PackedMatrix;
import java.lang.reflect.Field;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Linear layers with enough rows for the packed GEMM path get their weight packed once in the constructor, with
 * results bit-identical to the same product packing B per call; few-row products keep reading W in place.
 */
class PackedGemmsTest {
  static final String IR = """
      graph @g(%x: f32[40,96], %y: f32[2,96]) -> (f32[40,80], f32[2,80]) {
        %w = const {name="w"} : f32[80,96]
        %b = const {name="b"} : f32[80]
        %0 = nn.linear(%x, %w, %b) : f32[40,80]
        %1 = nn.linear(%y, %w, %b) : f32[2,80]
        return(%0, %1)
      }""";

  @Test
  void packsTheWeightOfTheManyRowProductOnly() throws Exception {
    Random r = new Random(11);
    Map<String, Tensor> weights = new HashMap<>(Map.of("w", PackedWeightsTest.random(r, 80, 96), "b", PackedWeightsTest.random(r, 80)));
    Tensor x = PackedWeightsTest.random(r, 40, 96), y = PackedWeightsTest.random(r, 2, 96);
    CompiledModel m = JvmBackend.compile(KernelLowering.lower(IrParser.parse(IR, "pg")), weights, new JvmOptions("dev.kiln.gen.PackedGemms", true))
        .instantiate(weights);
    int packed = 0;
    for (Field f : m.getClass().getDeclaredFields()) {
      if (f.getType() != PackedMatrix.class) continue;
      f.setAccessible(true);
      PackedMatrix pm = (PackedMatrix) f.get(m);
      assertFalse(pm.isA());
      assertEquals(96, pm.rows());
      assertEquals(80, pm.cols());
      packed++;
    }
    assertEquals(1, packed, "packed GEMM operands (the 2-row product reads W in place)");
    // x W^T + b, bias first then GEMM with beta 1, as the lowering does, packing per call.
    float[] w = weights.get("w").toFloatArray(), bias = weights.get("b").toFloatArray(), want = new float[40 * 80];
    for (int i = 0; i < 40; i++) System.arraycopy(bias, 0, want, i * 80, 80);
    Gemm.sgemm(false, true, 40, 80, 96, 1f, x.toFloatArray(), 0, 96, w, 0, 96, 1f, want, 0, 80);
    for (int run = 0; run < 2; run++) assertArrayEquals(want, ((Tensor) m.run(List.of(x, y)).get(0)).toFloatArray(), "run " + run);
  }
}
