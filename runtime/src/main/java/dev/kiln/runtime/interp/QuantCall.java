package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.kernels.QGemm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One quantized linear or convolution run by the int8 primitives ({@link QGemm}) instead of the reference loops,
 * with the same results bit for bit. It takes the graph a reference call cuts out for one node (parameters, the
 * constants it reads, the node, return): {@code q.linear_dynamic}, {@code q.linear[_relu]} and
 * {@code q.conv2d[_relu]} whose weight (and bias, if any) are named weights and whose shapes are static. The
 * weights are packed, and the int32 bias and requantization multipliers computed, once in the constructor with the
 * reference kernels' own float expressions ({@link QuantNnKernels}, {@link QuantKernels#linearDynamic}).
 *
 * <p>Thread-safe: {@link #run} allocates its scratch per call; the packed weights are only read.
 */
public final class QuantCall {
  private static final Set<String> OPS = Set.of("q.linear_dynamic", "q.linear", "q.linear_relu", "q.conv2d", "q.conv2d_relu");

  private final Node node;
  private final int input;
  private final boolean dynamic, conv, unsigned;
  private final long[] inShape, outShape;
  private final DType outType;
  /** One packed matrix per group (one for linear). */
  private final QGemm.Packed[] packed;
  private final int[] wz;
  /** Static ops: the int32 bias (null when absent); dynamic: null. */
  private final int[] biasQ;
  /** Static ops: the requantization multiplier; dynamic: float(w_scale) per channel, times x_scale per call. */
  private final float[] mult;
  private final float[] biasF;
  private final int xz, outZp, lo, hi;
  private final int[] conv2d; // stride h/w, pad h/w, dil h/w, groups, kh, kw

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

  /** The only node of {@code g} besides constants and return, or null. */
  private static Node single(Graph g) {
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
    String why = refusal(g);
    if (why != null) throw new IllegalArgumentException("graph @" + g.name() + ": " + why);
    node = single(g);
    input = g.params().indexOf(node.operand(0));
    String op = node.op().name();
    dynamic = op.equals("q.linear_dynamic");
    conv = op.startsWith("q.conv2d");
    TensorType xt = (TensorType) node.operand(0).type(), wt = (TensorType) node.operand(1).type(), yt = (TensorType) node.result(0).type();
    inShape = xt.shape().sizes();
    outShape = yt.shape().sizes();
    outType = yt.dtype();
    unsigned = xt.dtype() != DType.QI8;
    Tensor w = weight(weights, 1, wt);
    Tensor bias = node.numOperands() > 2 ? weight(weights, 2, (TensorType) node.operand(2).type()) : null;
    long[] ws = wt.shape().sizes();
    int n = (int) ws[0];
    Quant wq = wt.quant();
    wz = new int[n];
    float[] wsF = new float[n];
    double[] wsD = new double[n];
    for (int o = 0; o < n; o++) {
      int c = wq.perChannel() ? o : 0;
      if (wq.perChannel() && wq.scales().size() != n) throw new IllegalArgumentException(node.describe() + ": " + wq.scales().size() + " weight scales for " + n + " outputs");
      wz[o] = (int) (long) wq.zeroPoints().get(c);
      wsD[o] = wq.scales().get(c);
      wsF[o] = (float) wsD[o];
    }
    byte[] wb = bytes(w);
    int groups = conv ? (int) node.attrInt("groups") : 1;
    int rowLen = wb.length / n, og = n / groups;
    packed = new QGemm.Packed[groups];
    for (int i = 0; i < groups; i++) packed[i] = QGemm.pack(wb, i * og * rowLen, og, rowLen);
    float[] b = bias == null ? null : bias.toFloatArray();
    if (dynamic) {
      mult = wsF;
      biasF = b;
      biasQ = null;
      xz = outZp = lo = hi = 0;
      conv2d = null;
      return;
    }
    biasF = null;
    Quant xq = xt.quant(), yq = yt.quant();
    double xs = xq.scales().get(0);
    xz = (int) (long) xq.zeroPoints().get(0);
    float outScale = (float) (double) yq.scales().get(0);
    outZp = (int) (long) yq.zeroPoints().get(0);
    boolean relu = op.endsWith("_relu");
    lo = relu ? outZp : (int) QuantOps.qmin(outType);
    hi = (int) QuantOps.qmax(outType);
    float invOut = 1f / outScale;
    mult = new float[n];
    biasQ = b == null ? null : new int[n];
    for (int o = 0; o < n; o++) {
      mult[o] = ((float) wsD[o] * (float) xs) * invOut;
      if (b != null) biasQ[o] = (int) QuantKernels.quantize(b[o], 1f / (float) (wsD[o] * xs), 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    if (conv) {
      long[] st = pair("stride"), pad = pair("padding"), dil = pair("dilation");
      conv2d = new int[] {(int) st[0], (int) st[1], (int) pad[0], (int) pad[1], (int) dil[0], (int) dil[1], groups, (int) ws[2], (int) ws[3]};
      if (groups <= 0 || ws[1] * groups != inShape[1] || n % groups != 0) throw new IllegalArgumentException(node.describe() + ": input " + Tensor.dims(inShape) + " does not match weight " + Tensor.dims(ws) + " with groups=" + groups);
    } else conv2d = null;
  }

  private long[] pair(String name) {
    long[] v = node.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  private Tensor weight(Map<String, Tensor> weights, int i, TensorType t) {
    String name = node.operand(i).definingNode().attrStr("name");
    Tensor w = Objects.requireNonNull(weights.get(name), () -> node.describe() + ": missing weight \"" + name + "\"");
    if (w.dtype() != t.dtype() || !Arrays.equals(w.shape(), t.shape().sizes()))
      throw new IllegalArgumentException(node.describe() + ": weight \"" + name + "\" is " + Values.describe(w) + ", expected " + t.text());
    return w;
  }

  /** The raw bytes of an 8-bit tensor (its own array when it is contiguous and whole). */
  private static byte[] bytes(Tensor t) {
    MemorySegment s = t.segment();
    if (s.heapBase().orElse(null) instanceof byte[] a && s.address() == 0 && a.length == s.byteSize()) return a;
    return s.toArray(ValueLayout.JAVA_BYTE);
  }

  /** Runs the node on {@code inputs} (one value per graph parameter); returns its one result. */
  public List<Object> run(List<Object> inputs) {
    Tensor x = (Tensor) inputs.get(input);
    if (!Arrays.equals(x.shape(), inShape)) throw new IllegalArgumentException(node.describe() + ": input " + Values.describe(x) + ", expected " + Tensor.dims(inShape));
    Tensor y = dynamic ? linearDynamic(x.floatData()) : conv ? conv(bytes(x)) : linear(bytes(x));
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
    QGemm.correct(acc, rows, p, sums, z, true, wz, null);
    float[] y = new float[rows * n];
    for (int o = 0; o < n; o++) {
      float m = mult[o] * xs, b = biasF == null ? 0f : biasF[o];
      for (int r = 0; r < rows; r++) y[r * n + o] = (float) acc[r * n + o] * m + b; // as the reference: two roundings
    }
    return Tensor.wrapFloats(y, outShape);
  }

  private Tensor linear(byte[] xb) {
    QGemm.Packed p = packed[0];
    int k = p.k(), n = p.n(), rows = k == 0 ? 0 : xb.length / k;
    short[] xw = new short[rows * p.kp()];
    int[] sums = QGemm.widen(xb, 0, rows, k, p.kp(), unsigned, xw);
    int[] acc = new int[rows * n];
    QGemm.dots(xw, rows, p, acc);
    QGemm.correct(acc, rows, p, sums, xz, unsigned, wz, biasQ);
    byte[] y = new byte[rows * n];
    for (int i = 0; i < acc.length; i++) y[i] = requantize(acc[i], mult[i % n]);
    return Tensor.of(outType, MemorySegment.ofArray(y), outShape);
  }

  /** qnnpack's requantization: cvtps(float(acc) * multiplier) + zp, clamped ([zp, qmax] with a fused relu). */
  private byte requantize(int acc, float m) {
    long v = QuantNnKernels.cvtps((float) acc * m) + outZp;
    return (byte) Math.max(lo, Math.min(hi, v));
  }

  /** NCHW: per image and group, the u8 patches (im2col, padding reads the zero point) times the packed weights. */
  private Tensor conv(byte[] xb) {
    int sh = conv2d[0], sw = conv2d[1], ph = conv2d[2], pw = conv2d[3], dh = conv2d[4], dw = conv2d[5], g = conv2d[6], kh = conv2d[7], kw = conv2d[8];
    int nb = (int) inShape[0], c = (int) inShape[1], h = (int) inShape[2], wd = (int) inShape[3];
    int o = (int) outShape[1], oh = (int) outShape[2], ow = (int) outShape[3], cg = c / g, og = o / g, m = oh * ow;
    int kp = packed[0].kp(), ox = QGemm.offset(unsigned);
    short pad = (short) (xz + ox); // stored as QGemm.widen stores activations
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
                  short v = rowIn && xx >= 0 && xx < wd ? (short) (unsigned ? xb[xb0 + yy * wd + xx] & 0xff : xb[xb0 + yy * wd + xx] + ox) : pad;
                  col[q * kp + col0] = v;
                  sums[q] += v;
                }
              }
            }
        }
        QGemm.Packed p = packed[gi];
        QGemm.dots(col, m, p, acc);
        int[] wzg = Arrays.copyOfRange(wz, gi * og, gi * og + og), bg = biasQ == null ? null : Arrays.copyOfRange(biasQ, gi * og, gi * og + og);
        QGemm.correct(acc, m, p, sums, xz, unsigned, wzg, bg);
        for (int j = 0; j < og; j++) {
          int oc = gi * og + j, y0 = (img * o + oc) * m;
          float mu = mult[oc];
          for (int q = 0; q < m; q++) y[y0 + q] = requantize(acc[q * og + j], mu);
        }
      }
    return Tensor.of(outType, MemorySegment.ofArray(y), outShape);
  }
}
