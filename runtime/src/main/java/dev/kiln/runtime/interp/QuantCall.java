package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.kernels.QGemm;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One quantized linear or convolution run by the int8 primitives ({@link QGemm}) instead of the reference loops,
 * with the same results bit for bit. It takes the graph a reference call cuts out for one node (parameters, the
 * constants it reads, the node, return): {@code q.linear_dynamic}, {@code q.linear[_relu]} and
 * {@code q.conv2d[_relu]} whose weight (and bias, if any) are named weights and whose shapes are static. The
 * weights are packed once in the constructor; the int32 bias and requantization multipliers come from
 * {@link QuantNodeParams}, which {@link QuantGemmNode} shares.
 *
 * <p>Thread-safe: {@link #run} allocates its scratch per call; the packed weights are only read.
 */
public final class QuantCall {
  private static final Set<String> OPS = Set.of("q.linear_dynamic", "q.linear", "q.linear_relu", "q.conv2d", "q.conv2d_relu");

  private final QuantNodeParams params;
  /** One packed matrix per group (one for linear). */
  private final QGemm.Packed[] packed;

  /** Why {@code g} cannot run here, or null when it can (see the class comment). */
  public static String refusal(Graph g) {
    Node n = single(g);
    if (n == null) return "not one node";
    if (!OPS.contains(n.op().name())) return n.op().name() + " has no int8 primitive";
    for (Value v : n.operands()) if (!staticTensor(v)) return "%" + v.displayName() + " has no static tensor type";
    if (!staticTensor(n.result(0))) return "the result has no static tensor type";
    if (n.operand(0).definingNode() != null) return "the input is not a parameter";
    for (int i = 1; i < n.numOperands(); i++) {
      Node d = n.operand(i).definingNode();
      if (d == null || d.op() != ControlOps.CONST || !d.hasAttr("name")) return "operand " + i + " is not a named weight";
    }
    TensorType x = (TensorType) n.operand(0).type(), w = (TensorType) n.operand(1).type(), y = (TensorType) n.result(0).type();
    if (w.dtype() != DType.QI8 || w.quant() == null || w.quant().perChannel() && w.quant().axis() != 0) return "the weight is not qi8 per tensor or per output channel";
    if (n.op().name().equals("q.linear_dynamic")) return x.dtype() == DType.F32 && y.dtype() == DType.F32 ? null : "not f32 in and out";
    if (x.dtype() != DType.QU8 && x.dtype() != DType.QI8 || x.quant() == null || x.quant().perChannel()) return "the input is not qu8/qi8 per tensor";
    if (y.quant() == null || y.quant().perChannel() || y.dtype() != DType.QU8 && y.dtype() != DType.QI8) return "the result is not qu8/qi8 per tensor";
    return null;
  }

  public static boolean accepts(Graph g) { return refusal(g) == null; }

  private static boolean staticTensor(Value v) { return v.type() instanceof TensorType t && t.shape().isStatic(); }

  /** The only node of {@code g} besides constants and return (with one result, which is returned), or null. */
  public static Node single(Graph g) {
    Node found = null;
    for (Node n : g.body().nodes()) {
      if (n.op() == ControlOps.CONST || n == g.returnNode()) continue;
      if (found != null || !n.blocks().isEmpty()) return null;
      found = n;
    }
    if (found == null || found.results().size() != 1 || g.returnNode().operands().size() != 1 || g.returnNode().operand(0) != found.result(0)) return null;
    return found;
  }

  /**
   * @param g a graph {@link #accepts}, not null
   * @param weights the weight table its constants name, not null
   * @throws IllegalArgumentException when the graph is refused or a weight is missing or has the wrong shape
   */
  public QuantCall(Graph g, Map<String, Tensor> weights) {
    QuantNodeParams p = params = new QuantNodeParams(g, weights);
    int rowLen = p.n == 0 ? 0 : p.w.length / p.n, og = p.n / p.groups;
    packed = new QGemm.Packed[p.groups];
    for (int i = 0; i < p.groups; i++) packed[i] = QGemm.pack(p.w, i * og * rowLen, og, rowLen);
  }

  /** Runs the node on {@code inputs} (one value per graph parameter); returns its one result. */
  public List<Object> run(List<Object> inputs) {
    Tensor x = params.input(inputs);
    Tensor y = params.dynamic ? linearDynamic(x.floatData()) : params.conv ? conv(QuantNodeParams.bytes(x)) : linear(QuantNodeParams.bytes(x));
    return List.of(y);
  }

  private Tensor linearDynamic(float[] xa) {
    QGemm.Packed p = packed[0];
    int k = p.k(), n = p.n(), kp = p.kp(), rows = k == 0 ? 0 : xa.length / k;
    double[] qp = QuantKernels.dynamicParams(xa);
    float xs = (float) qp[0], inv = 1f / xs;
    int z = (int) qp[1];
    short[] xw = new short[rows * kp];
    int[] sums = new int[rows];
    for (int r = 0; r < rows; r++) {
      int s = 0;
      for (int j = 0; j < k; j++) {
        int v = (int) QuantKernels.quantize(xa[r * k + j], inv, z, 0, 255);
        xw[r * kp + j] = (short) v;
        s += v;
      }
      sums[r] = s;
    }
    int[] acc = new int[rows * n];
    QGemm.dots(xw, rows, p, acc);
    QGemm.correct(acc, rows, p, sums, z, true, params.wz, null);
    float[] y = new float[rows * n];
    for (int o = 0; o < n; o++) {
      float m = params.mult[o] * xs, b = params.biasF == null ? 0f : params.biasF[o];
      for (int r = 0; r < rows; r++) y[r * n + o] = (float) acc[r * n + o] * m + b; // as the reference: two roundings
    }
    return Tensor.wrapFloats(y, params.outShape);
  }

  private Tensor linear(byte[] xb) {
    QGemm.Packed p = packed[0];
    int k = p.k(), n = p.n(), rows = k == 0 ? 0 : xb.length / k;
    short[] xw = new short[rows * p.kp()];
    int[] sums = QGemm.widen(xb, 0, rows, k, p.kp(), params.unsigned, xw);
    int[] acc = new int[rows * n];
    QGemm.dots(xw, rows, p, acc);
    QGemm.correct(acc, rows, p, sums, params.xz, params.unsigned, params.wz, params.biasQ);
    byte[] y = new byte[rows * n];
    for (int i = 0; i < acc.length; i++) y[i] = params.requantize(acc[i], params.mult[i % n]);
    return Tensor.of(params.outType, MemorySegment.ofArray(y), params.outShape);
  }

  /** NCHW: per image and group, the u8 patches (im2col, padding reads the zero point) times the packed weights. */
  private Tensor conv(byte[] xb) {
    int sh = params.conv2d[0], sw = params.conv2d[1], ph = params.conv2d[2], pw = params.conv2d[3], dh = params.conv2d[4], dw = params.conv2d[5], g = params.groups, kh = params.conv2d[6], kw = params.conv2d[7];
    int nb = (int) params.inShape[0], c = (int) params.inShape[1], h = (int) params.inShape[2], wd = (int) params.inShape[3];
    int o = (int) params.outShape[1], oh = (int) params.outShape[2], ow = (int) params.outShape[3], cg = c / g, og = o / g, m = oh * ow;
    int kp = packed[0].kp(), ox = QGemm.offset(params.unsigned);
    short pad = (short) (params.xz + ox); // stored as QGemm.widen stores activations
    short[] col = new short[m * kp];
    int[] sums = new int[m], acc = new int[m * og];
    byte[] y = new byte[nb * o * m];
    for (int img = 0; img < nb; img++)
      for (int gi = 0; gi < g; gi++) {
        Arrays.fill(sums, 0);
        for (int ic = 0; ic < cg; ic++) {
          int xb0 = (img * c + gi * cg + ic) * h * wd;
          for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
              int col0 = (ic * kh + ky) * kw + kx;
              for (int i = 0; i < oh; i++) {
                int yy = i * sh - ph + ky * dh;
                boolean rowIn = yy >= 0 && yy < h;
                for (int j = 0; j < ow; j++) {
                  int xx = j * sw - pw + kx * dw, q = i * ow + j;
                  short v = rowIn && xx >= 0 && xx < wd ? (short) (params.unsigned ? xb[xb0 + yy * wd + xx] & 0xff : xb[xb0 + yy * wd + xx] + ox) : pad;
                  col[q * kp + col0] = v;
                  sums[q] += v;
                }
              }
            }
        }
        QGemm.Packed p = packed[gi];
        QGemm.dots(col, m, p, acc);
        int[] wzg = Arrays.copyOfRange(params.wz, gi * og, gi * og + og), bg = params.biasQ == null ? null : Arrays.copyOfRange(params.biasQ, gi * og, gi * og + og);
        QGemm.correct(acc, m, p, sums, params.xz, params.unsigned, wzg, bg);
        for (int j = 0; j < og; j++) {
          int oc = gi * og + j, y0 = (img * o + oc) * m;
          float mu = params.mult[oc];
          for (int q = 0; q < m; q++) y[y0 + q] = params.requantize(acc[q * og + j], mu);
        }
      }
    return Tensor.of(params.outType, MemorySegment.ofArray(y), params.outShape);
  }
}
