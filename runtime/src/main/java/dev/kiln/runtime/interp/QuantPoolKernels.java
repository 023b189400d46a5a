package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;

/**
 * Quantized add and pooling, bit-exact with PyTorch 1.13 under the qnnpack engine on x86.
 *
 * <p>add on qu8 is qnnpack's q8vadd: both scales over the output scale become 22-bit integer multipliers sharing one
 * shift, the int32 sum {@code a*ma + b*mb - (za*ma + zb*mb)} is shifted right rounding half away from zero, then the
 * output zero point is added and the result clamped. qi8 add (not a qnnpack case) goes through f32 as PyTorch's
 * generic kernel does.
 */
final class QuantPoolKernels {
  private QuantPoolKernels() {}

  static Object add(KernelArgs a) { return add(a, false); }

  static Object addRelu(KernelArgs a) { return add(a, true); }

  private static Object add(KernelArgs a, boolean relu) {
    Tensor x = QuantNnKernels.raw(a, 0), y = QuantNnKernels.raw(a, 1);
    if (!java.util.Arrays.equals(x.shape(), y.shape())) throw a.fail("operands have shapes " + Tensor.dims(x.shape()) + " and " + Tensor.dims(y.shape()) + ", expected one shape");
    Quant xq = QuantKernels.quantOf(a, a.node().operand(0)), yq = QuantKernels.quantOf(a, a.node().operand(1));
    QuantNnKernels.Out out = QuantNnKernels.Out.of(a, relu);
    float xs = (float) (double) xq.scales().get(0), ys = (float) (double) yq.scales().get(0);
    long xz = xq.zeroPoints().get(0), yz = yq.zeroPoints().get(0);
    long[] xv = x.toLongArray(), yv = y.toLongArray(), r = new long[xv.length];
    if (x.dtype() == DType.QU8 && out.dtype() == DType.QU8) {
      float as = xs / out.scale(), bs = ys / out.scale();
      for (float s : new float[] {as, bs})
        if (!(s >= 0x1p-14f && s < 0x1p8f)) throw a.fail("input-to-output scale ratio " + s + " is outside qnnpack's [2^-14, 2^8)");
      int exp = (Float.floatToRawIntBits(Math.max(as, bs)) >>> 23) - 127;
      int shift = 21 - exp;
      float mult = Float.intBitsToFloat((21 - exp + 127) << 23);
      int am = (int) Math.rint(as * mult), bm = (int) Math.rint(bs * mult);
      int zpp = -(am * (int) xz + bm * (int) yz);
      int mask = (1 << shift) - 1, threshold = mask >>> 1;
      for (int i = 0; i < xv.length; i++) {
        int acc = zpp + (int) xv[i] * am + (int) yv[i] * bm;
        int rem = (acc & mask) - (acc < 0 ? 1 : 0);
        long q = (acc >> shift) + (rem > threshold ? 1 : 0) + out.zp();
        r[i] = Math.max(out.lo(), Math.min(out.hi(), q));
      }
    } else {
      float inv = 1f / out.scale();
      for (int i = 0; i < xv.length; i++) {
        float v = ((float) xv[i] - xz) * xs + ((float) yv[i] - yz) * ys;
        r[i] = QuantKernels.quantize(relu ? Math.max(v, 0f) : v, inv, out.zp(), out.lo(), out.hi());
      }
    }
    return Tensor.ofLongs(out.dtype(), r, x.shape());
  }

  private static int[] planes(KernelArgs a, Tensor x) {
    if (x.rank() != 4 && x.rank() != 3) throw a.fail("input must be [N,C,H,W] or [C,H,W], got " + Values.describe(x));
    int r = x.rank();
    return new int[] {(int) (x.numel() / (x.size(r - 2) * x.size(r - 1))), (int) x.size(r - 2), (int) x.size(r - 1)};
  }

  /** Max of the raw integers over each window; padded positions are skipped. */
  static Object maxPool2d(KernelArgs a) {
    Tensor x = QuantNnKernels.raw(a, 0);
    int[] p = planes(a, x);
    long[] k = ConvKernels.pair(a, "kernel_size");
    long[] s = a.attrIsNone("stride") || a.attrInts("stride").length == 0 ? k : ConvKernels.pair(a, "stride");
    long[] pad = ConvKernels.pair(a, "padding"), d = ConvKernels.pair(a, "dilation");
    boolean ceil = a.attrBool("ceil_mode");
    int h = p[1], w = p[2];
    int oh = (int) PoolKernels.outSize(h, k[0], s[0], pad[0], d[0], ceil), ow = (int) PoolKernels.outSize(w, k[1], s[1], pad[1], d[1], ceil);
    if (oh <= 0 || ow <= 0) throw a.fail("window " + Tensor.dims(k) + " does not fit " + Values.describe(x));
    long[] v = x.toLongArray(), out = new long[p[0] * oh * ow];
    for (int c = 0; c < p[0]; c++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
          long m = Long.MIN_VALUE;
          for (int u = 0; u < k[0]; u++) {
            long yy = i * s[0] - pad[0] + u * d[0];
            if (yy < 0 || yy >= h) continue;
            for (int t = 0; t < k[1]; t++) {
              long xx = j * s[1] - pad[1] + t * d[1];
              if (xx >= 0 && xx < w) m = Math.max(m, v[(int) ((c * (long) h + yy) * w + xx)]);
            }
          }
          out[(c * oh + i) * ow + j] = m;
        }
    long[] shape = x.shape();
    shape[shape.length - 2] = oh;
    shape[shape.length - 1] = ow;
    return Tensor.ofLongs(x.dtype(), out, shape);
  }

  /**
   * PyTorch's quantized adaptive average pooling on a channels-last tensor. When the windows tile the input (qu8, sizes
   * divisible, not the identity) qnnpack's average pooling runs: {@code cvtps(float(sum(q - zp)) * (s / (s * size))) + zp};
   * otherwise the NHWC kernel: {@code quantize(float(sum(q) - zp * size), scale = 1 / (s / s / size))}, all in float.
   */
  static Object adaptiveAvgPool2d(KernelArgs a) {
    Tensor x = QuantNnKernels.raw(a, 0);
    int[] p = planes(a, x);
    long[] o = ConvKernels.pair(a, "output_size");
    int h = p[1], w = p[2], oh = (int) o[0], ow = (int) o[1];
    if (oh <= 0 || ow <= 0) throw a.fail("output_size must be positive, got " + Tensor.dims(o));
    Quant q = QuantKernels.quantOf(a, a.node().operand(0));
    float sc = (float) (double) q.scales().get(0);
    long zp = q.zeroPoints().get(0), lo = QuantOps.qmin(x.dtype()), hi = QuantOps.qmax(x.dtype());
    boolean qnnpack = x.dtype() == DType.QU8 && !(h == oh && w == ow) && h % oh == 0 && w % ow == 0;
    long[] v = x.toLongArray(), out = new long[p[0] * oh * ow];
    for (int c = 0; c < p[0]; c++)
      for (int i = 0; i < oh; i++) {
        int h0 = Math.floorDiv(i * h, oh), h1 = -Math.floorDiv(-(i + 1) * h, oh);
        for (int j = 0; j < ow; j++) {
          int w0 = Math.floorDiv(j * w, ow), w1 = -Math.floorDiv(-(j + 1) * w, ow);
          int size = (h1 - h0) * (w1 - w0), sum = 0;
          for (int y = h0; y < h1; y++)
            for (int xx = w0; xx < w1; xx++) sum += (int) v[(c * h + y) * w + xx];
          int acc = sum - (int) zp * size;
          long r;
          if (qnnpack) {
            r = Math.max(lo, Math.min(hi, QuantNnKernels.cvtps((float) acc * (sc / (sc * (float) size))) + zp));
          } else {
            float mult = sc / sc / size;
            r = QuantKernels.quantize((float) acc, 1f / (1f / mult), zp, lo, hi);
          }
          out[(c * oh + i) * ow + j] = r;
        }
      }
    long[] shape = x.shape();
    shape[shape.length - 2] = oh;
    shape[shape.length - 1] = ow;
    return Tensor.ofLongs(x.dtype(), out, shape);
  }
}
