package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.kernels.PackedMatrix;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Convolutions on named weights get their weight packed once in the constructor, and still compute the same. */
class PackedWeightsTest {
  static final String IR = """
      graph @g(%x: f32[1,16,12,12]) -> (f32[1,24,12,12]) {
        %w = const {name="w"} : f32[24,16,3,3]
        %b = const {name="b"} : f32[24]
        %0 = nn.conv2d(%x, %w, %b) {padding=[1,1]} : f32[1,24,12,12]
        %1 = nn.relu(%0) : f32[1,24,12,12]
        return(%1)
      }""";

  static Tensor random(Random r, long... shape) {
    float[] d = new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
    for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
    return Tensor.fromFloats(d, shape);
  }

  @Test
  void packsConvWeightsOnceInBothLayouts() throws Exception {
    for (String pipeline : new String[] {"fuse", "fuse,nhwc"}) {
      Random r = new Random(7);
      Map<String, Tensor> weights = new HashMap<>(Map.of("w", random(r, 24, 16, 3, 3), "b", random(r, 24)));
      List<Object> in = List.of(random(r, 1, 16, 12, 12));
      Tensor want = (Tensor) new Interpreter(IrParser.parse(IR, "packed"), weights).run(in).get(0);
      Graph opt = PassManager.parse(pipeline).run(Program.of(IrParser.parse(IR, "packed"))).graph();
      KernelProgram kp = KernelLowering.lower(opt);
      String name = "dev.kiln.gen.Packed_" + pipeline.replace(',', '_');
      CompiledModel m = JvmBackend.compile(kp, weights, new JvmOptions(name, true)).instantiate(weights);
      int packedFields = 0;
      for (Field f : m.getClass().getDeclaredFields()) {
        if (f.getType() != PackedMatrix[].class) continue;
        f.setAccessible(true);
        PackedMatrix[] pk = (PackedMatrix[]) f.get(m);
        assertEquals(1, pk.length, pipeline + ": one group");
        // NCHW packs W (oc x kdim) as A; NHWC packs W^T (kdim x oc) as B.
        assertEquals(!pipeline.contains("nhwc"), pk[0].isA(), pipeline);
        packedFields++;
      }
      assertEquals(1, packedFields, pipeline + ": packed-weight fields");
      for (int run = 0; run < 2; run++) {
        Tensor got = (Tensor) m.run(in).get(0);
        assertTrue(got.allClose(want, 1e-4, 1e-4), pipeline + " run " + run + ": max |diff| " + got.maxAbsDiff(want));
      }
    }
  }
}
