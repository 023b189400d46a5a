package dev.kiln.runtime.interp;

import dev.kiln.ir.Node;

/**
 * {@link QuantOpCall}'s pooling loops on raw bytes, as {@code QuantPoolKernels.maxPool2d} and
 * {@code adaptiveAvgPool2d} compute them (the same windows, sums and roundings); the output shape is the node's static
 * result type.
 */
final class QuantPoolCalls {
  private QuantPoolCalls() {}

  private static long[] pair(Node n, String name) {
    long[] v = n.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  /** Max of the raw integers over each window, padded taps skipped (a window with none gives 0, as the reference). */
  static byte[] maxPool(Node n, byte[] x, boolean signed, long[] in, long[] out) {
    int r = in.length, h = (int) in[r - 2], w = (int) in[r - 1], oh = (int) out[r - 2], ow = (int) out[r - 1];
    long[] k = pair(n, "kernel_size");
    long[] s = n.attrIsNone("stride") || n.attrInts("stride").length == 0 ? k : pair(n, "stride");
    long[] pad = pair(n, "padding"), d = pair(n, "dilation");
    int kh = (int) k[0], kw = (int) k[1], sh = (int) s[0], sw = (int) s[1], ph = (int) pad[0], pw = (int) pad[1], dh = (int) d[0], dw = (int) d[1];
    int planes = x.length / (h * w), mask = signed ? -1 : 0xff;
    byte[] y = new byte[planes * oh * ow];
    int[] acc = new int[ow];
    for (int c = 0; c < planes; c++)
      for (int i = 0; i < oh; i++) {
        java.util.Arrays.fill(acc, Integer.MIN_VALUE);
        for (int u = 0; u < kh; u++) {
          int yy = i * sh - ph + u * dh;
          if (yy < 0 || yy >= h) continue;
          int row = (c * h + yy) * w;
          for (int t = 0; t < kw; t++) {
            int off = t * dw - pw;
            // columns j with 0 <= j sw + off < w
            int jlo = off >= 0 ? 0 : (-off + sw - 1) / sw, jhi = w - off <= 0 ? 0 : Math.min(ow, (w - off + sw - 1) / sw);
            for (int j = jlo; j < jhi; j++) acc[j] = Math.max(acc[j], x[row + j * sw + off] & mask);
          }
        }
        int o = (c * oh + i) * ow;
        for (int j = 0; j < ow; j++) y[o + j] = acc[j] == Integer.MIN_VALUE ? 0 : (byte) acc[j];
      }
    return y;
  }

  /**
   * qnnpack's average pooling when the windows tile a qu8 input ({@code cvtps(float(acc) * (s / (s * size))) + zp},
   * clamped), else PyTorch's NHWC kernel ({@code quantize(float(acc), 1 / (1 / (s / s / size)), zp, lo, hi)}), with
   * {@code acc = sum(q) - zp size}.
   */
  static byte[] adaptiveAvgPool(byte[] x, boolean signed, float sc, int zp, int lo, int hi, long[] in, long[] out) {
    int r = in.length, h = (int) in[r - 2], w = (int) in[r - 1], oh = (int) out[r - 2], ow = (int) out[r - 1];
    boolean qnnpack = !signed && !(h == oh && w == ow) && h % oh == 0 && w % ow == 0;
    int planes = x.length / (h * w), mask = signed ? -1 : 0xff;
    int[] w0 = new int[ow], w1 = new int[ow];
    for (int j = 0; j < ow; j++) {
      w0[j] = Math.floorDiv(j * w, ow);
      w1[j] = -Math.floorDiv(-(j + 1) * w, ow);
    }
    float[] mult = new float[oh * ow];
    int[] h0 = new int[oh], h1 = new int[oh];
    for (int i = 0; i < oh; i++) {
      h0[i] = Math.floorDiv(i * h, oh);
      h1[i] = -Math.floorDiv(-(i + 1) * h, oh);
      for (int j = 0; j < ow; j++) {
        int size = (h1[i] - h0[i]) * (w1[j] - w0[j]);
        mult[i * ow + j] = qnnpack ? sc / (sc * (float) size) : 1f / (1f / (sc / sc / size));
      }
    }
    byte[] y = new byte[planes * oh * ow];
    for (int c = 0; c < planes; c++)
      for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++) {
          int sum = 0;
          for (int yy = h0[i]; yy < h1[i]; yy++) {
            int row = (c * h + yy) * w;
            for (int xx = w0[j]; xx < w1[j]; xx++) sum += x[row + xx] & mask;
          }
          int size = (h1[i] - h0[i]) * (w1[j] - w0[j]), acc = sum - zp * size;
          float m = mult[i * ow + j];
          long v = qnnpack ? Math.max(lo, Math.min(hi, QuantNnKernels.cvtps((float) acc * m) + zp)) : QuantKernels.quantize((float) acc, m, zp, lo, hi);
          y[(c * oh + i) * ow + j] = (byte) v;
        }
    return y;
  }
}
