package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;

/**
 * Statically quantized linear, conv2d, matmul and relu, bit-exact with PyTorch 1.13's qnnpack engine on x86 (SSE2
 * kernels). Linear and conv accumulate {@code (x - x_zp)(w - w_zp)} in int32 with the bias quantized to int32 at
 * scale {@code x_scale * w_scale} (double product, then PyTorch's quantize), and requantize each sum as qnnpack does:
 * {@code clamp(cvtps(float(acc) * ((float(w_scale) * float(x_scale)) * (1f / float(out_scale)))) + out_zp)} where
 * cvtps rounds half to even and turns values outside int32 into INT32_MIN. Add and pooling are in
 * {@link QuantPoolKernels}.
 */
final class QuantNnKernels {
  private QuantNnKernels() {}

  /** _mm_cvtps_epi32: round half to even; NaN and values outside int32 give INT32_MIN. */
  static long cvtps(float v) {
    double r = Math.rint(v);
    return Float.isNaN(v) || r >= 0x1p31 || r < -0x1p31 ? Integer.MIN_VALUE : (long) r;
  }

  /** The quantized operand {@code i}: its raw integers, checked against the dtype of its IR type. */
  static Tensor raw(KernelArgs a, int i) {
    Tensor t = a.tensor(i);
    DType want = ((TensorType) a.node().operand(i).type()).dtype();
    if (t.dtype() != want) throw a.fail("operand " + i + " is " + Values.describe(t) + ", expected " + want);
    return t;
  }

  /** The result's parameters, and the clamp range: [zp, qmax] when a relu is fused. */
  record Out(DType dtype, float scale, long zp, long lo, long hi) {
    static Out of(KernelArgs a, boolean relu) {
      TensorType t = (TensorType) a.node().result(0).type();
      Quant q = QuantKernels.quantOf(a, a.node().result(0));
      long zp = q.zeroPoints().get(0);
      return new Out(t.dtype(), (float) (double) q.scales().get(0), zp, relu ? zp : QuantOps.qmin(t.dtype()), QuantOps.qmax(t.dtype()));
    }

    long requantize(int acc, float multiplier) {
      long v = cvtps((float) acc * multiplier) + zp;
      return Math.max(lo, Math.min(hi, v));
    }
  }

  /** Per output channel: int32 bias, requantization multiplier and weight zero point. */
  private record Channels(int[] bias, float[] mult, int[] wzp) {}

  private static Channels channels(KernelArgs a, int n, Quant xq, Quant wq, Tensor bias, Out out) {
    if (bias != null && (bias.rank() != 1 || bias.size(0) != n)) throw a.fail("bias " + Values.describe(bias) + " does not match " + n + " outputs");
    if (wq.perChannel() && wq.scales().size() != n) throw a.fail(wq.scales().size() + " weight scales for " + n + " outputs");
    double xs = xq.scales().get(0);
    float[] b = bias == null ? null : bias.toFloatArray();
    int[] qb = new int[n], wzp = new int[n];
    float[] mult = new float[n];
    float invOut = 1f / out.scale();
    for (int o = 0; o < n; o++) {
      int c = wq.perChannel() ? o : 0;
      double ws = wq.scales().get(c);
      wzp[o] = (int) (long) wq.zeroPoints().get(c);
      mult[o] = ((float) ws * (float) xs) * invOut;
      if (b != null) qb[o] = (int) QuantKernels.quantize(b[o], 1f / (float) (ws * xs), 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    return new Channels(qb, mult, wzp);
  }

  private static int[] ints(Tensor t) {
    long[] l = t.toLongArray();
    int[] r = new int[l.length];
    for (int i = 0; i < l.length; i++) r[i] = (int) l[i];
    return r;
  }

  static Object linear(KernelArgs a) { return linear(a, false); }

  static Object linearRelu(KernelArgs a) { return linear(a, true); }

  private static Object linear(KernelArgs a, boolean relu) {
    Tensor x = raw(a, 0), w = raw(a, 1), bias = a.optTensor(2);
    if (x.rank() == 0 || w.rank() != 2) throw a.fail("expected input [..., in] and weight [out, in], got " + Values.describe(x) + " and " + Values.describe(w));
    int k = Math.toIntExact(x.size(-1)), n = Math.toIntExact(w.size(0));
    if (w.size(1) != k) throw a.fail("input features " + k + " do not match weight " + Tensor.dims(w.shape()));
    Quant xq = QuantKernels.quantOf(a, a.node().operand(0)), wq = QuantKernels.quantOf(a, a.node().operand(1));
    Out out = Out.of(a, relu);
    Channels ch = channels(a, n, xq, wq, bias, out);
    int xz = (int) (long) xq.zeroPoints().get(0);
    int[] xi = ints(x), wi = ints(w);
    int rows = Math.toIntExact(Tensor.numel(Arrays.copyOf(x.shape(), x.rank() - 1)));
    long[] y = new long[Math.multiplyExact(rows, n)];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < n; o++) {
        int acc = ch.bias()[o], wz = ch.wzp()[o];
        for (int j = 0; j < k; j++) acc += (xi[r * k + j] - xz) * (wi[o * k + j] - wz);
        y[r * n + o] = out.requantize(acc, ch.mult()[o]);
      }
    }
    long[] shape = x.shape();
    shape[shape.length - 1] = n;
    return Tensor.ofLongs(out.dtype(), y, shape);
  }

  static Object conv2d(KernelArgs a) { return conv2d(a, false); }

  static Object conv2dRelu(KernelArgs a) { return conv2d(a, true); }

  /** NCHW direct convolution; padded positions read the input zero point, so they add nothing. */
  private static Object conv2d(KernelArgs a, boolean relu) {
    Tensor x = raw(a, 0), w = raw(a, 1), bias = a.optTensor(2);
    if (x.rank() != 4 || w.rank() != 4) throw a.fail("expected input [N,C,H,W] and weight [O,C/groups,kh,kw], got " + Values.describe(x) + " and " + Values.describe(w));
    long[] st = ConvKernels.pair(a, "stride"), pad = ConvKernels.pair(a, "padding"), dil = ConvKernels.pair(a, "dilation");
    int g = Math.toIntExact(a.attrInt("groups"));
    int nb = (int) x.size(0), c = (int) x.size(1), h = (int) x.size(2), wd = (int) x.size(3);
    int o = (int) w.size(0), cg = (int) w.size(1), kh = (int) w.size(2), kw = (int) w.size(3);
    if (g <= 0 || cg * g != c || o % g != 0) throw a.fail("input " + Values.describe(x) + " does not match weight " + Values.describe(w) + " with groups=" + g);
    int oh = (int) PoolKernels.outSize(h, kh, st[0], pad[0], dil[0], false), ow = (int) PoolKernels.outSize(wd, kw, st[1], pad[1], dil[1], false);
    if (oh <= 0 || ow <= 0) throw a.fail("kernel " + Tensor.dims(w.shape()) + " does not fit " + Values.describe(x));
    Quant xq = QuantKernels.quantOf(a, a.node().operand(0)), wq = QuantKernels.quantOf(a, a.node().operand(1));
    Out out = Out.of(a, relu);
    Channels ch = channels(a, o, xq, wq, bias, out);
    int xz = (int) (long) xq.zeroPoints().get(0);
    int[] xi = ints(x), wi = ints(w);
    for (int i = 0; i < xi.length; i++) xi[i] -= xz;
    long[] y = new long[nb * o * oh * ow];
    int og = o / g;
    for (int n = 0; n < nb; n++)
      for (int oc = 0; oc < o; oc++) {
        int c0 = (oc / og) * cg, wz = ch.wzp()[oc];
        for (int i = 0; i < oh; i++)
          for (int j = 0; j < ow; j++) {
            int acc = ch.bias()[oc];
            for (int ic = 0; ic < cg; ic++) {
              int xb = ((n * c) + c0 + ic) * h * wd, wb = ((oc * cg) + ic) * kh * kw;
              for (int p = 0; p < kh; p++) {
                int yy = (int) (i * st[0] - pad[0] + p * dil[0]);
                if (yy < 0 || yy >= h) continue;
                for (int q = 0; q < kw; q++) {
                  int xx = (int) (j * st[1] - pad[1] + q * dil[1]);
                  if (xx < 0 || xx >= wd) continue;
                  acc += xi[xb + yy * wd + xx] * (wi[wb + p * kw + q] - wz);
                }
              }
            }
            y[((n * o + oc) * oh + i) * ow + j] = out.requantize(acc, ch.mult()[oc]);
          }
      }
    return Tensor.ofLongs(out.dtype(), y, nb, o, oh, ow);
  }

  /** quantized::matmul in PyTorch 1.13: dequantize both, multiply in floating point, quantize the f32 product. */
  static Object matmul(KernelArgs a) {
    Tensor xr = raw(a, 0), yr = raw(a, 1);
    Tensor x = Tensor.wrapFloats(QuantKernels.dequantize(a, xr, QuantKernels.quantOf(a, a.node().operand(0))), xr.shape());
    Tensor y = Tensor.wrapFloats(QuantKernels.dequantize(a, yr, QuantKernels.quantOf(a, a.node().operand(1))), yr.shape());
    if (x.rank() == 0 || y.rank() == 0) throw a.fail("both operands need at least one dim");
    boolean xv = x.rank() == 1, yv = y.rank() == 1;
    if (xv) x = x.unsqueeze(0);
    if (yv) y = y.unsqueeze(1);
    long[] xs = x.shape(), ys = y.shape();
    long[] batch = Broadcasting.shape(a, Arrays.copyOf(xs, xs.length - 2), Arrays.copyOf(ys, ys.length - 2));
    long m = xs[xs.length - 2], k = xs[xs.length - 1], n = ys[ys.length - 1];
    long nb = Tensor.numel(batch);
    Tensor xb = x.expand(LinalgKernels.concat(batch, m, k)).reshape(nb, m, k), yb = y.expand(LinalgKernels.concat(batch, k, n)).reshape(nb, k, n);
    double[] prod = LinalgKernels.batched(a, xb.to(DType.F64), yb.to(DType.F64), DType.F64).toDoubleArray();
    Out out = Out.of(a, false);
    float inv = 1f / out.scale();
    long[] q = new long[prod.length];
    for (int i = 0; i < prod.length; i++) q[i] = QuantKernels.quantize((float) prod[i], inv, out.zp(), out.lo(), out.hi());
    long[] shape = LinalgKernels.concat(batch, m, n);
    if (xv) shape = dropAt(shape, shape.length - 2);
    if (yv) shape = dropAt(shape, shape.length - 1);
    return Tensor.ofLongs(out.dtype(), q, shape);
  }

  private static long[] dropAt(long[] s, int i) {
    long[] r = new long[s.length - 1];
    for (int j = 0, k = 0; j < s.length; j++) if (j != i) r[k++] = s[j];
    return r;
  }

  /** max(q, zero_point); the result keeps the input's parameters. */
  static Object relu(KernelArgs a) {
    Tensor x = raw(a, 0);
    long zp = QuantKernels.quantOf(a, a.node().operand(0)).zeroPoints().get(0);
    long[] v = x.toLongArray();
    for (int i = 0; i < v.length; i++) v[i] = Math.max(v[i], zp);
    return Tensor.ofLongs(x.dtype(), v, x.shape());
  }
}
