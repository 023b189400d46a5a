package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One quantized linear or convolution ({@link QuantCall#accepts}) split around a raw int8 product supplied by the
 * caller ({@link Dots}: u8 activations times s8 weights, int32): this class does what must round exactly as the
 * reference kernels — the dynamic quantization of x ({@link QuantKernels#dynamicParams}, {@link QuantKernels#quantize}),
 * u8 rows or im2col patches (padding reads the zero point), the zero-point corrections, the int32 bias and qnnpack's
 * requantization ({@code cvtps(float(acc) * multiplier) + zp}, clamped) or linear_dynamic's
 * {@code float(acc) * (w_scale * x_scale) + bias} — with the reference kernels' own expressions, so any exact
 * {@code Dots} gives the interpreter's bits. The LLVM backend's native int8 GEMM is one ({@code nativelib.Int8Step}).
 *
 * <p>Zero points stay out of the product: activations are stored unsigned ({@code x' = x + ox}, ox = 128 for qi8) and
 * weights as they are (signed), so with {@code rx[i] = sum_p x'} and {@code cw[j] = sum_p w[j][p]},
 * {@code sum_p (x' - xz')(w - wz) = acc - wz rx - xz' cw + k xz' wz} modulo 2^32, as in {@code QGemm}.
 *
 * <p>Immutable after construction; {@link #run} allocates its scratch per call, so it is thread-safe if the Dots is.
 */
public final class QuantGemmNode {
  /** The raw product for one group: {@code acc[i * ldc + j] = sum_p a[i * kp + p] * w_group[j][p]}, i < m, j < n/groups. */
  public interface Dots {
    void run(int group, byte[] a, int m, int kp, int[] acc, int ldc);
  }

  private final Node node;
  private final int input;
  private final boolean dynamic, conv, unsigned;
  private final long[] inShape, outShape;
  private final DType outType;
  private final byte[] w;
  private final int n, groups, k, kp, ldc;
  private final int[] wz, colSums, biasQ;
  private final float[] mult, biasF;
  private final int xz, outZp, lo, hi;
  private final int[] conv2d; // stride h/w, pad h/w, dil h/w, kh, kw

  /** @throws IllegalArgumentException when {@code g} is refused or its weights are missing or of the wrong shape */
  public QuantGemmNode(Graph g, Map<String, Tensor> weights) {
    String why = QuantCall.refusal(g);
    if (why != null) throw new IllegalArgumentException("graph @" + g.name() + ": " + why);
    Node found = null;
    for (Node x : g.body().nodes()) if (x.op() != ControlOps.CONST && x != g.returnNode()) found = x;
    node = found;
    input = g.params().indexOf(node.operand(0));
    String op = node.op().name();
    dynamic = op.equals("q.linear_dynamic");
    conv = op.startsWith("q.conv2d");
    TensorType xt = (TensorType) node.operand(0).type(), wt = (TensorType) node.operand(1).type(), yt = (TensorType) node.result(0).type();
    inShape = xt.shape().sizes();
    outShape = yt.shape().sizes();
    outType = yt.dtype();
    unsigned = xt.dtype() != DType.QI8;
    w = bytes(weight(weights, 1, wt));
    Tensor bias = node.numOperands() > 2 ? weight(weights, 2, (TensorType) node.operand(2).type()) : null;
    long[] ws = wt.shape().sizes();
    n = (int) ws[0];
    groups = conv ? (int) node.attrInt("groups") : 1;
    if (groups <= 0 || n % groups != 0) throw new IllegalArgumentException(node.describe() + ": " + n + " outputs in " + groups + " groups");
    k = n == 0 ? 0 : w.length / n;
    kp = Math.max(4, Math.ceilDiv(k, 4) * 4);
    ldc = Math.max(16, Math.ceilDiv(n / groups, 16) * 16);
    Quant wq = wt.quant();
    if (wq.perChannel() && wq.scales().size() != n) throw new IllegalArgumentException(node.describe() + ": " + wq.scales().size() + " weight scales for " + n + " outputs");
    wz = new int[n];
    colSums = new int[n];
    double[] wsD = new double[n];
    for (int o = 0; o < n; o++) {
      int c = wq.perChannel() ? o : 0;
      wz[o] = (int) (long) wq.zeroPoints().get(c);
      wsD[o] = wq.scales().get(c);
      int s = 0;
      for (int p = 0; p < k; p++) s += w[o * k + p];
      colSums[o] = s;
    }
    float[] b = bias == null ? null : bias.toFloatArray();
    mult = new float[n];
    if (dynamic) {
      for (int o = 0; o < n; o++) mult[o] = (float) wsD[o];
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
    lo = op.endsWith("_relu") ? outZp : (int) QuantOps.qmin(outType);
    hi = (int) QuantOps.qmax(outType);
    float invOut = 1f / outScale;
    biasQ = b == null ? null : new int[n];
    for (int o = 0; o < n; o++) { // the expressions of QuantNnKernels / QuantCall
      mult[o] = ((float) wsD[o] * (float) xs) * invOut;
      if (b != null) biasQ[o] = (int) QuantKernels.quantize(b[o], 1f / (float) (wsD[o] * xs), 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    if (conv) {
      long[] st = pair("stride"), pad = pair("padding"), dil = pair("dilation");
      conv2d = new int[] {(int) st[0], (int) st[1], (int) pad[0], (int) pad[1], (int) dil[0], (int) dil[1], (int) ws[2], (int) ws[3]};
      if (ws[1] * groups != inShape[1]) throw new IllegalArgumentException(node.describe() + ": input " + Tensor.dims(inShape) + " does not match weight " + Tensor.dims(ws) + " with groups=" + groups);
    } else conv2d = null;
  }

  public int groups() { return groups; }

  /** Output channels per group (the product's columns). */
  public int columns() { return n / groups; }

  /** Depth of the product (k) and its padded row length in A (a multiple of 4, zeros past k). */
  public int depth() { return k; }

  public int paddedDepth() { return kp; }

  /** Row stride of the int32 accumulators the Dots writes (a multiple of 16, at least the columns). */
  public int ldc() { return ldc; }

  /** Rows of one product: rows of x for linear, output positions for a convolution. */
  public int rows() {
    if (conv) return (int) (outShape[2] * outShape[3]);
    return k == 0 ? 0 : (int) (Tensor.numel(inShape) / k);
  }

  /** Signed weights of group {@code g}: {@code columns()} rows of {@link #depth()} bytes (PyTorch's layout), not to be changed. */
  public byte[] weights(int g) { return Arrays.copyOfRange(w, g * columns() * k, (g + 1) * columns() * k); }

  /** Multiply-adds of one run (for the thread rule). */
  public long work() { return (long) rows() * kp * columns() * groups * (conv ? inShape[0] : 1); }

  private long[] pair(String name) {
    long[] v = node.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  private Tensor weight(Map<String, Tensor> weights, int i, TensorType t) {
    String name = node.operand(i).definingNode().attrStr("name");
    Tensor x = Objects.requireNonNull(weights.get(name), () -> node.describe() + ": missing weight \"" + name + "\"");
    if (x.dtype() != t.dtype() || !Arrays.equals(x.shape(), t.shape().sizes()))
      throw new IllegalArgumentException(node.describe() + ": weight \"" + name + "\" is " + Values.describe(x) + ", expected " + t.text());
    return x;
  }

  private static byte[] bytes(Tensor t) {
    MemorySegment s = t.contiguous().segment();
    return s.toArray(ValueLayout.JAVA_BYTE);
  }

  /** Runs the node on {@code inputs} (one value per graph parameter) with {@code dots}; returns its one result. */
  public List<Object> run(List<Object> inputs, Dots dots) {
    Tensor x = (Tensor) inputs.get(input);
    if (!Arrays.equals(x.shape(), inShape)) throw new IllegalArgumentException(node.describe() + ": input " + Values.describe(x) + ", expected " + Tensor.dims(inShape));
    Tensor c = x.contiguous();
    Tensor y = dynamic ? linearDynamic(c.floatData(), dots) : conv ? conv(bytes(c), dots) : linear(bytes(c), dots);
    return List.of(y);
  }

  private Tensor linearDynamic(float[] xa, Dots dots) {
    int rows = rows();
    double[] qp = QuantKernels.dynamicParams(xa);
    float xs = (float) qp[0], inv = 1f / xs;
    int z = (int) qp[1];
    byte[] a = new byte[rows * kp];
    int[] sums = new int[rows];
    for (int r = 0; r < rows; r++) {
      int s = 0;
      for (int j = 0; j < k; j++) {
        int v = (int) QuantKernels.quantize(xa[r * k + j], inv, z, 0, 255);
        a[r * kp + j] = (byte) v;
        s += v;
      }
      sums[r] = s;
    }
    int[] acc = new int[rows * ldc];
    dots.run(0, a, rows, kp, acc, ldc);
    float[] y = new float[rows * n];
    for (int o = 0; o < n; o++) {
      float m = mult[o] * xs, b = biasF == null ? 0f : biasF[o];
      int w0 = wz[o], cw = colSums[o], fix = k * z * w0 - z * cw;
      for (int r = 0; r < rows; r++) y[r * n + o] = (float) (acc[r * ldc + o] - w0 * sums[r] + fix) * m + b; // two roundings, as the reference
    }
    return Tensor.wrapFloats(y, outShape);
  }

  private Tensor linear(byte[] xb, Dots dots) {
    int rows = rows(), ox = unsigned ? 0 : 128;
    byte[] a = new byte[rows * kp];
    int[] sums = new int[rows];
    for (int r = 0; r < rows; r++) {
      int s = 0;
      for (int j = 0; j < k; j++) {
        int v = (xb[r * k + j] + ox) & 0xff;
        a[r * kp + j] = (byte) v;
        s += v;
      }
      sums[r] = s;
    }
    int[] acc = new int[rows * ldc];
    dots.run(0, a, rows, kp, acc, ldc);
    byte[] y = new byte[rows * n];
    epilogue(acc, rows, sums, 0, y, 0, n, 1);
    return Tensor.of(outType, MemorySegment.ofArray(y), outShape);
  }

  /**
   * Corrects, biases and requantizes the m x columns accumulators of group g into y: output channel
   * {@code g columns + j} of row q goes to {@code y[y0 + q * rowStride + j * colStride]}.
   */
  private void epilogue(int[] acc, int m, int[] sums, int g, byte[] y, int y0, int rowStride, int colStride) {
    int x0 = xz + (unsigned ? 0 : 128), og = columns();
    for (int j = 0; j < og; j++) {
      int oc = g * og + j, w0 = wz[oc];
      int fix = k * x0 * w0 - x0 * colSums[oc] + (biasQ == null ? 0 : biasQ[oc]);
      float mu = mult[oc];
      int base = y0 + j * colStride;
      for (int q = 0; q < m; q++) {
        int v = acc[q * ldc + j] - w0 * sums[q] + fix;
        long r = QuantNnKernels.cvtps((float) v * mu) + outZp;
        y[base + q * rowStride] = (byte) Math.max(lo, Math.min(hi, r));
      }
    }
  }

  /** NCHW: per image and group, u8 patches (padding reads the zero point) times the group's weights. */
  private Tensor conv(byte[] xb, Dots dots) {
    int sh = conv2d[0], sw = conv2d[1], ph = conv2d[2], pw = conv2d[3], dh = conv2d[4], dw = conv2d[5], kh = conv2d[6], kw = conv2d[7];
    int nb = (int) inShape[0], c = (int) inShape[1], h = (int) inShape[2], wd = (int) inShape[3];
    int o = (int) outShape[1], oh = (int) outShape[2], ow = (int) outShape[3], cg = c / groups, og = columns(), m = oh * ow;
    int ox = unsigned ? 0 : 128;
    byte pad = (byte) (xz + ox);
    byte[] col = new byte[m * kp];
    int[] sums = new int[m], acc = new int[m * ldc];
    byte[] y = new byte[nb * o * m];
    for (int img = 0; img < nb; img++)
      for (int gi = 0; gi < groups; gi++) {
        for (int ic = 0; ic < cg; ic++) {
          int xb0 = (img * c + gi * cg + ic) * h * wd;
          for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
              int col0 = (ic * kh + ky) * kw + kx;
              for (int i = 0; i < oh; i++) {
                int yy = i * sh - ph + ky * dh, q0 = i * ow;
                if (yy < 0 || yy >= h) {
                  for (int j = 0; j < ow; j++) col[(q0 + j) * kp + col0] = pad;
                  continue;
                }
                int row = xb0 + yy * wd;
                for (int j = 0; j < ow; j++) {
                  int xx = j * sw - pw + kx * dw;
                  col[(q0 + j) * kp + col0] = xx >= 0 && xx < wd ? (byte) (xb[row + xx] + ox) : pad;
                }
              }
            }
        }
        for (int q = 0; q < m; q++) {
          int s = 0;
          for (int p = q * kp, e = p + k; p < e; p++) s += col[p] & 0xff;
          sums[q] = s;
        }
        dots.run(gi, col, m, kp, acc, ldc);
        epilogue(acc, m, sums, gi, y, (img * o + gi * og) * m, 1, m);
      }
    return Tensor.of(outType, MemorySegment.ofArray(y), outShape);
  }
}
