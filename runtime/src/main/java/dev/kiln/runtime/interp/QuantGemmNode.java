package dev.kiln.runtime.interp;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

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

  private final QuantNodeParams params;
  private final int n, groups, k, kp, ldc;
  /** Sum of each output channel's weight row. */
  private final int[] colSums;

  /** @throws IllegalArgumentException when {@code g} is refused or its weights are missing or of the wrong shape */
  public QuantGemmNode(Graph g, Map<String, Tensor> weights) {
    params = new QuantNodeParams(g, weights);
    n = params.n;
    groups = params.groups;
    k = n == 0 ? 0 : params.w.length / n;
    kp = Math.max(4, Math.ceilDiv(k, 4) * 4);
    ldc = Math.max(16, Math.ceilDiv(n / groups, 16) * 16);
    colSums = new int[n];
    for (int o = 0; o < n; o++) {
      int s = 0;
      for (int q = 0; q < k; q++) s += params.w[o * k + q];
      colSums[o] = s;
    }
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
    if (params.conv) return (int) (params.outShape[2] * params.outShape[3]);
    return k == 0 ? 0 : (int) (Tensor.numel(params.inShape) / k);
  }

  /** Signed weights of group {@code g}: {@code columns()} rows of {@link #depth()} bytes (PyTorch's layout), not to be changed. */
  public byte[] weights(int g) { return Arrays.copyOfRange(params.w, g * columns() * k, (g + 1) * columns() * k); }

  /**
   * What a native routine running the whole node needs (the LLVM backend's {@code nativelib.Int8Node}): the same
   * numbers this class computes with, not to be changed. {@code conv2d}: stride h/w, pad h/w, dilation h/w, kh, kw
   * (null for linear); {@code biasF} (dynamic) and {@code biasQ} (static) may be null; {@code xz} and the output fields
   * are 0 for linear_dynamic.
   */
  public record Spec(boolean dynamic, boolean conv, boolean unsigned, long[] inShape, long[] outShape,
      dev.kiln.ir.DType outType, int n, int groups, int k, int[] wz, int[] colSums, float[] mult, float[] biasF,
      int[] biasQ, int xz, int outZp, int lo, int hi, int[] conv2d) {}

  public Spec spec() {
    QuantNodeParams p = params;
    return new Spec(p.dynamic, p.conv, p.unsigned, p.inShape, p.outShape, p.outType, n, groups, k, p.wz, colSums, p.mult,
        p.biasF, p.biasQ, p.xz, p.outZp, p.lo, p.hi, p.conv2d);
  }

  /** Checks {@code inputs} against the node and returns x (one value per graph parameter). */
  public Tensor input(List<Object> inputs) { return params.input(inputs); }

  /** Multiply-adds of one run (for the thread rule). */
  public long work() { return (long) rows() * kp * columns() * groups * (params.conv ? params.inShape[0] : 1); }

  /** Runs the node on {@code inputs} (one value per graph parameter) with {@code dots}; returns its one result. */
  public List<Object> run(List<Object> inputs, Dots dots) {
    Tensor x = params.input(inputs);
    Tensor c = x.contiguous();
    Tensor y = params.dynamic ? linearDynamic(c.floatData(), dots) : params.conv ? conv(QuantNodeParams.bytes(c), dots) : linear(QuantNodeParams.bytes(c), dots);
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
      float m = params.mult[o] * xs, b = params.biasF == null ? 0f : params.biasF[o];
      int w0 = params.wz[o], cw = colSums[o], fix = k * z * w0 - z * cw;
      for (int r = 0; r < rows; r++) y[r * n + o] = (float) (acc[r * ldc + o] - w0 * sums[r] + fix) * m + b; // two roundings, as the reference
    }
    return Tensor.wrapFloats(y, params.outShape);
  }

  private Tensor linear(byte[] xb, Dots dots) {
    int rows = rows(), ox = params.unsigned ? 0 : 128;
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
    return Tensor.of(params.outType, MemorySegment.ofArray(y), params.outShape);
  }

  /**
   * Corrects, biases and requantizes the m x columns accumulators of group g into y: output channel
   * {@code g columns + j} of row q goes to {@code y[y0 + q * rowStride + j * colStride]}.
   */
  private void epilogue(int[] acc, int m, int[] sums, int g, byte[] y, int y0, int rowStride, int colStride) {
    int x0 = params.xz + (params.unsigned ? 0 : 128), og = columns();
    for (int j = 0; j < og; j++) {
      int oc = g * og + j, w0 = params.wz[oc];
      int fix = k * x0 * w0 - x0 * colSums[oc] + (params.biasQ == null ? 0 : params.biasQ[oc]);
      float mu = params.mult[oc];
      int base = y0 + j * colStride;
      for (int q = 0; q < m; q++) {
        int v = acc[q * ldc + j] - w0 * sums[q] + fix;
        long r = QuantNnKernels.cvtps((float) v * mu) + params.outZp;
        y[base + q * rowStride] = (byte) Math.max(params.lo, Math.min(params.hi, r));
      }
    }
  }

  /** NCHW: per image and group, u8 patches (padding reads the zero point) times the group's weights. */
  private Tensor conv(byte[] xb, Dots dots) {
    int sh = params.conv2d[0], sw = params.conv2d[1], ph = params.conv2d[2], pw = params.conv2d[3], dh = params.conv2d[4], dw = params.conv2d[5], kh = params.conv2d[6], kw = params.conv2d[7];
    int nb = (int) params.inShape[0], c = (int) params.inShape[1], h = (int) params.inShape[2], wd = (int) params.inShape[3];
    int o = (int) params.outShape[1], oh = (int) params.outShape[2], ow = (int) params.outShape[3], cg = c / groups, og = columns(), m = oh * ow;
    int ox = params.unsigned ? 0 : 128;
    byte pad = (byte) (params.xz + ox);
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
    return Tensor.of(params.outType, MemorySegment.ofArray(y), params.outShape);
  }
}
