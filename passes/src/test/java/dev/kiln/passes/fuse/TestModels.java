package dev.kiln.passes.fuse;

import static dev.kiln.ir.Builder.attrs;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.runtime.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Graphs built for the fusion, layout and memory tests, with random weights: conv-bn-relu stacks, residual blocks,
 * a small ResNet, MLPs and an attention block. One instance builds one graph; {@link #weights} holds its weights.
 */
public final class TestModels {
  public final Map<String, Tensor> weights = new HashMap<>();
  private final Random random;
  private Builder b;
  private int count;
  /** When false, convolutions carry a bias and no batch_norm follows (the graph after fold-bn). */
  public boolean batchNorm = true;

  public TestModels(long seed) { random = new Random(seed); }

  private Value weight(long... shape) {
    String name = "w" + count++;
    float[] v = new float[(int) Tensor.numel(shape)];
    long fanIn = shape.length > 1 ? Tensor.numel(shape) / shape[0] : 1;
    double scale = Math.sqrt(2.0 / fanIn);
    for (int i = 0; i < v.length; i++) v[i] = (float) (random.nextGaussian() * scale);
    weights.put(name, Tensor.wrapFloats(v, shape));
    return b.weight(name, Type.tensor(DType.F32, shape));
  }

  private Value param(long c, double base, double spread) {
    String name = "p" + count++;
    float[] v = new float[(int) c];
    for (int i = 0; i < v.length; i++) v[i] = (float) (base + spread * random.nextDouble());
    weights.put(name, Tensor.wrapFloats(v, c));
    return b.weight(name, Type.tensor(DType.F32, c));
  }

  private Value convBn(Value x, long in, long out, long k, long stride, boolean relu, boolean bias0) {
    boolean bias = bias0 || !batchNorm;
    Value w = weight(out, in, k, k);
    Map<String, Attr> a = attrs("stride", new long[] {stride, stride}, "padding", new long[] {k / 2, k / 2});
    Value y = bias ? b.op(NnOps.CONV2D, a, x, w, param(out, -0.1, 0.2)) : b.op(NnOps.CONV2D, a, x, w);
    if (!batchNorm) return relu ? b.op(ElementwiseOps.RELU, y) : y;
    y = b.op(NnOps.BATCH_NORM, Map.of(), y, param(out, -0.1, 0.2), param(out, 0.5, 1), param(out, 0.5, 0.5), param(out, -0.1, 0.2));
    return relu ? b.op(ElementwiseOps.RELU, y) : y;
  }

  private Value basicBlock(Value x, long in, long out, long stride) {
    Value y = convBn(convBn(x, in, out, 3, stride, true, false), out, out, 3, 1, false, false);
    Value skip = stride != 1 || in != out ? convBn(x, in, out, 1, stride, false, false) : x;
    return b.op(ElementwiseOps.RELU, b.op(ElementwiseOps.ADD, y, skip));
  }

  private Graph start(String name, Type input) {
    Graph g = new Graph(name);
    g.addParam(input, "x");
    b = Builder.atEnd(g.body());
    return g;
  }

  /** conv(+bias) -> batch_norm -> relu, {@code depth} times, then relu6 and sigmoid on the last. */
  public Graph convBnReluStack(int depth, long channels, long size) {
    Graph g = start("conv_bn_relu", Type.tensor(DType.F32, 1, 3, size, size));
    Value y = g.params().get(0);
    long in = 3;
    for (int i = 0; i < depth; i++) {
      y = convBn(y, in, channels, 3, 1, true, true);
      in = channels;
    }
    y = b.op(ElementwiseOps.HARDTANH, attrs("min_val", 0.0, "max_val", 6.0), y);
    b.ret(b.op(ElementwiseOps.SIGMOID, y));
    return g;
  }

  /** A ResNet of basic blocks (7x7/2 stem, max pool, {@code widths} stages of two blocks), pooling and a linear head: ResNet-18 for 64,128,256,512. */
  public Graph resnet(long size, long... widths) {
    Graph g = start("resnet", Type.tensor(DType.F32, 1, 3, size, size));
    Value y = convBn(g.params().get(0), 3, widths[0], 7, 2, true, false);
    y = b.op(NnOps.MAX_POOL2D, attrs("kernel_size", new long[] {3, 3}, "stride", new long[] {2, 2}, "padding", new long[] {1, 1}), y);
    long in = widths[0];
    for (long out : widths) {
      y = basicBlock(y, in, out, out == widths[0] ? 1 : 2);
      y = basicBlock(y, out, out, 1);
      in = out;
    }
    y = b.op(NnOps.ADAPTIVE_AVG_POOL2D, attrs("output_size", new long[] {1, 1}), y);
    y = b.op(ShapeOps.FLATTEN, attrs("start_dim", 1L), y);
    b.ret(b.op(LinalgOps.LINEAR, y, weight(10, in), param(10, 0, 0.1)));
    return g;
  }

  /** linear -> gelu/silu/tanh ... -> linear, with a residual add on the middle layer and a scaled output. */
  public Graph mlp(long batch, long width) {
    Graph g = start("mlp", Type.tensor(DType.F32, batch, width));
    Value x = g.params().get(0);
    Value h = b.op(ElementwiseOps.GELU, b.op(LinalgOps.LINEAR, x, weight(width, width), param(width, -0.1, 0.2)));
    Value h2 = b.op(LinalgOps.LINEAR, h, weight(width, width));
    h2 = b.op(ElementwiseOps.SILU, b.op(ElementwiseOps.ADD, h2, x));
    Value m = b.op(LinalgOps.MATMUL, h2, weight(width, width));
    m = b.op(ElementwiseOps.TANH, b.op(ElementwiseOps.ADD, m, param(width, 0, 0.1)));
    Value s = b.literal(Attr.of(0.5), PrimType.FLOAT);
    Value out = b.op(ElementwiseOps.MUL, b.op(ElementwiseOps.EXP, b.op(ElementwiseOps.NEG, m)), s);
    b.ret(b.op(ElementwiseOps.SUB, out, h));
    return g;
  }

  /**
   * Single-head self-attention as BERT writes it: q, k, v projections, softmax(q k^T / sqrt(d) + mask) v, an
   * output projection and a residual. The mask is an input ([1,1,L,L] additive) when {@code mask}, else absent.
   */
  public Graph attention(long batch, long heads, long len, long dim, boolean mask) {
    Graph g = new Graph("attention");
    Value x = g.addParam(Type.tensor(DType.F32, batch, heads, len, dim), "x");
    Value am = mask ? g.addParam(Type.tensor(DType.F32, 1, 1, len, len), "mask") : null;
    b = Builder.atEnd(g.body());
    Value q = b.op(LinalgOps.LINEAR, x, weight(dim, dim));
    Value k = b.op(LinalgOps.LINEAR, x, weight(dim, dim));
    Value v = b.op(LinalgOps.LINEAR, x, weight(dim, dim));
    Value kt = b.op(ShapeOps.TRANSPOSE, attrs("dim0", -2L, "dim1", -1L), k);
    Value s = b.op(LinalgOps.MATMUL, q, kt);
    s = b.op(ElementwiseOps.DIV, s, b.literal(Attr.of(Math.sqrt(dim)), PrimType.FLOAT));
    if (mask) s = b.op(ElementwiseOps.ADD, s, am);
    Value p = b.op(NnOps.SOFTMAX, attrs("dim", -1L), s);
    Value o = b.op(LinalgOps.MATMUL, p, v);
    o = b.op(LinalgOps.LINEAR, o, weight(dim, dim), param(dim, 0, 0.1));
    b.ret(b.op(ElementwiseOps.ADD, o, x));
    return g;
  }

  /** A random input tensor of the given shape (values in about [-2, 2]). */
  public Tensor input(long... shape) {
    float[] v = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) random.nextGaussian();
    return Tensor.wrapFloats(v, shape);
  }
}
