package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Depthwise#nhwc}'s inner loop for a 3x3 window at dilation 1, stride 1 or 2, over the output pixels of one
 * row whose nine taps are all inside the input: channel vectors outermost, so the nine weight vectors and the bias
 * stay in registers for the whole run of pixels, and four pixels per step share their input vectors (6 loads per
 * kernel row at stride 1, 9 at stride 2). Each output sums bias then taps in (ky, kx) order, as {@link Depthwise}'s
 * other paths do, so the results are the same bits.
 */
final class DepthwiseRow {
  private DepthwiseRow() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  /**
   * Output pixels [ox0, ox1) of one row, at {@code y[dst + (ox - ox0)*c + ch]}; the window of pixel ox0 starts at
   * input element {@code x[x0]} (its top-left tap, channel 0); wc = input row length (w*c); channels [0, cv) only.
   */
  static void run(float[] x, int x0, int wc, int c, int stride, float[] taps, float[] b, float[] y, int dst, float[] res,
      float lo, float hi, int pixels, int cv) {
    FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
    int step = stride * c, quads = pixels & ~3;
    for (int ch = 0; ch < cv; ch += L) {
      FloatVector w00 = FloatVector.fromArray(S, taps, ch), w01 = FloatVector.fromArray(S, taps, c + ch), w02 = FloatVector.fromArray(S, taps, 2 * c + ch);
      FloatVector w10 = FloatVector.fromArray(S, taps, 3 * c + ch), w11 = FloatVector.fromArray(S, taps, 4 * c + ch), w12 = FloatVector.fromArray(S, taps, 5 * c + ch);
      FloatVector w20 = FloatVector.fromArray(S, taps, 6 * c + ch), w21 = FloatVector.fromArray(S, taps, 7 * c + ch), w22 = FloatVector.fromArray(S, taps, 8 * c + ch);
      FloatVector bv = FloatVector.fromArray(S, b, ch);
      int i = 0;
      if (stride == 1) {
        for (; i < quads; i += 4) {
          int r0 = x0 + i * c + ch, r1 = r0 + wc, r2 = r1 + wc, o = dst + i * c + ch;
          FloatVector a0 = bv, a1 = bv, a2 = bv, a3 = bv;
          FloatVector v0 = FloatVector.fromArray(S, x, r0), v1 = FloatVector.fromArray(S, x, r0 + c), v2 = FloatVector.fromArray(S, x, r0 + 2 * c);
          FloatVector v3 = FloatVector.fromArray(S, x, r0 + 3 * c), v4 = FloatVector.fromArray(S, x, r0 + 4 * c), v5 = FloatVector.fromArray(S, x, r0 + 5 * c);
          a0 = v2.fma(w02, v1.fma(w01, v0.fma(w00, a0)));
          a1 = v3.fma(w02, v2.fma(w01, v1.fma(w00, a1)));
          a2 = v4.fma(w02, v3.fma(w01, v2.fma(w00, a2)));
          a3 = v5.fma(w02, v4.fma(w01, v3.fma(w00, a3)));
          v0 = FloatVector.fromArray(S, x, r1); v1 = FloatVector.fromArray(S, x, r1 + c); v2 = FloatVector.fromArray(S, x, r1 + 2 * c);
          v3 = FloatVector.fromArray(S, x, r1 + 3 * c); v4 = FloatVector.fromArray(S, x, r1 + 4 * c); v5 = FloatVector.fromArray(S, x, r1 + 5 * c);
          a0 = v2.fma(w12, v1.fma(w11, v0.fma(w10, a0)));
          a1 = v3.fma(w12, v2.fma(w11, v1.fma(w10, a1)));
          a2 = v4.fma(w12, v3.fma(w11, v2.fma(w10, a2)));
          a3 = v5.fma(w12, v4.fma(w11, v3.fma(w10, a3)));
          v0 = FloatVector.fromArray(S, x, r2); v1 = FloatVector.fromArray(S, x, r2 + c); v2 = FloatVector.fromArray(S, x, r2 + 2 * c);
          v3 = FloatVector.fromArray(S, x, r2 + 3 * c); v4 = FloatVector.fromArray(S, x, r2 + 4 * c); v5 = FloatVector.fromArray(S, x, r2 + 5 * c);
          a0 = v2.fma(w22, v1.fma(w21, v0.fma(w20, a0)));
          a1 = v3.fma(w22, v2.fma(w21, v1.fma(w20, a1)));
          a2 = v4.fma(w22, v3.fma(w21, v2.fma(w20, a2)));
          a3 = v5.fma(w22, v4.fma(w21, v3.fma(w20, a3)));
          if (res != null) {
            a0 = a0.add(FloatVector.fromArray(S, res, o));
            a1 = a1.add(FloatVector.fromArray(S, res, o + c));
            a2 = a2.add(FloatVector.fromArray(S, res, o + 2 * c));
            a3 = a3.add(FloatVector.fromArray(S, res, o + 3 * c));
          }
          a0.min(vhi).max(vlo).intoArray(y, o);
          a1.min(vhi).max(vlo).intoArray(y, o + c);
          a2.min(vhi).max(vlo).intoArray(y, o + 2 * c);
          a3.min(vhi).max(vlo).intoArray(y, o + 3 * c);
        }
      }
      // Stride 2, and the last pixels at stride 1: one pixel per step (four independent pixels in flight).
      for (; i < pixels; i++) {
        int r0 = x0 + i * step + ch, r1 = r0 + wc, r2 = r1 + wc, o = dst + i * c + ch;
        FloatVector a = FloatVector.fromArray(S, x, r0).fma(w00, bv);
        a = FloatVector.fromArray(S, x, r0 + c).fma(w01, a);
        a = FloatVector.fromArray(S, x, r0 + 2 * c).fma(w02, a);
        a = FloatVector.fromArray(S, x, r1).fma(w10, a);
        a = FloatVector.fromArray(S, x, r1 + c).fma(w11, a);
        a = FloatVector.fromArray(S, x, r1 + 2 * c).fma(w12, a);
        a = FloatVector.fromArray(S, x, r2).fma(w20, a);
        a = FloatVector.fromArray(S, x, r2 + c).fma(w21, a);
        a = FloatVector.fromArray(S, x, r2 + 2 * c).fma(w22, a);
        if (res != null) a = a.add(FloatVector.fromArray(S, res, o));
        a.min(vhi).max(vlo).intoArray(y, o);
      }
    }
  }
}
