package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.runtime.Tensor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A ResNet-18-shaped graph (random weights, 1x3x224x224) runs end to end; prints the time it takes. */
class ResNet18Test {
  private final Map<String, Tensor> weights = new HashMap<>();
  private final Random random = new Random(42);
  private Builder b;
  private int count;

  private Value weight(long... shape) {
    String name = "w" + count++;
    float[] v = new float[(int) Tensor.numel(shape)];
    long fanIn = shape.length > 1 ? Tensor.numel(shape) / shape[0] : 1;
    double scale = Math.sqrt(2.0 / fanIn);
    for (int i = 0; i < v.length; i++) v[i] = (float) (random.nextGaussian() * scale);
    weights.put(name, Tensor.wrapFloats(v, shape));
    return b.weight(name, Type.tensor(DType.F32, shape));
  }

  private Value bnParam(long c, double base, double spread) {
    String name = "bn" + count++;
    float[] v = new float[(int) c];
    for (int i = 0; i < v.length; i++) v[i] = (float) (base + spread * random.nextDouble());
    weights.put(name, Tensor.wrapFloats(v, c));
    return b.weight(name, Type.tensor(DType.F32, c));
  }

  private Value convBn(Value x, long in, long out, long k, long stride, boolean relu) {
    Value y = b.op(NnOps.CONV2D, attrs("stride", new long[] {stride, stride}, "padding", new long[] {k / 2, k / 2}), x, weight(out, in, k, k));
    y = b.op(NnOps.BATCH_NORM, Map.of(), y, bnParam(out, -0.1, 0.2), bnParam(out, 0.5, 1), bnParam(out, 0.5, 0.5), bnParam(out, -0.1, 0.2));
    return relu ? b.op(ElementwiseOps.RELU, y) : y;
  }

  private Value basicBlock(Value x, long in, long out, long stride) {
    Value y = convBn(convBn(x, in, out, 3, stride, true), out, out, 3, 1, false);
    Value skip = stride != 1 || in != out ? convBn(x, in, out, 1, stride, false) : x;
    return b.op(ElementwiseOps.RELU, b.op(ElementwiseOps.ADD, y, skip));
  }

  private Graph build() {
    Graph g = new Graph("resnet18");
    Value x = g.addParam(Type.tensor(DType.F32, 1, 3, 224, 224), "x");
    b = Builder.atEnd(g.body());
    Value y = convBn(x, 3, 64, 7, 2, true);
    y = b.op(NnOps.MAX_POOL2D, attrs("kernel_size", new long[] {3, 3}, "stride", new long[] {2, 2}, "padding", new long[] {1, 1}), y);
    long in = 64;
    for (long out : new long[] {64, 128, 256, 512}) {
      y = basicBlock(y, in, out, out == 64 ? 1 : 2);
      y = basicBlock(y, out, out, 1);
      in = out;
    }
    y = b.op(NnOps.ADAPTIVE_AVG_POOL2D, attrs("output_size", new long[] {1, 1}), y);
    y = b.op(ShapeOps.FLATTEN, attrs("start_dim", 1L), y);
    y = b.op(LinalgOps.LINEAR, y, weight(1000, 512), bnParam(1000, 0, 0.1));
    b.ret(y);
    return g;
  }

  @Test
  void runsAResNet18ShapedGraph() {
    Interpreter in = new Interpreter(build(), weights);
    float[] pixels = new float[3 * 224 * 224];
    for (int i = 0; i < pixels.length; i++) pixels[i] = (float) random.nextGaussian();
    Tensor image = Tensor.wrapFloats(pixels, 1, 3, 224, 224);
    Tensor out = null;
    for (int run = 1; run <= 3; run++) {
      long t0 = System.nanoTime();
      out = (Tensor) in.run(List.of(image)).get(0);
      System.out.printf("ResNet-18 1x3x224x224 interpreter run %d: %.0f ms%n", run, (System.nanoTime() - t0) / 1e6);
    }
    assertArrayEquals(new long[] {1, 1000}, out.shape());
    for (float v : out.toFloatArray()) assertTrue(Float.isFinite(v), "non-finite logit " + v);
  }
}
