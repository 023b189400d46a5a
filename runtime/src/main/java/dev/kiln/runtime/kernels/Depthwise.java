package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct depthwise convolution (groups == c == oc, one kh x kw filter per channel): an im2col matrix would be as
 * large as the work. NCHW vectorizes along an output row (contiguous loads at stride 1, gathers otherwise); NHWC
 * vectorizes across channels, which are contiguous at any stride. Each output sums bias then taps in (ky, kx) order.
 */
final class Depthwise {
  private Depthwise() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  /** NCHW: weight [c][kh][kw]; planes (image, channel) are split over threads. */
  static void nchw(ConvParams p, float[] x, int xOff, float[] wt, float[] bias, float[] y, int yOff) {
    int h = p.h(), w = p.w(), oh = p.oh(), ow = p.ow(), sw = p.strideW(), c = p.c();
    int[] gather = new int[L];
    for (int i = 0; i < L; i++) gather[i] = i * sw;
    Threads.TaskBody plane = t -> {
      int ch = t % c, xp = xOff + t * h * w, yp = yOff + t * oh * ow;
      float b = bias == null ? 0f : bias[ch];
      for (int oy = 0; oy < oh; oy++) {
        int yr = yp + oy * ow;
        java.util.Arrays.fill(y, yr, yr + ow, b);
        for (int ky = 0; ky < p.kh(); ky++) {
          int iy = oy * p.strideH() - p.padH() + ky * p.dilH();
          if (iy < 0 || iy >= h) continue;
          for (int kx = 0; kx < p.kw(); kx++) {
            int ix0 = kx * p.dilW() - p.padW();
            int lo = Math.min(ow, Math.max(0, Math.ceilDiv(-ix0, sw))), hi = Math.min(ow, Math.floorDiv(w - 1 - ix0, sw) + 1);
            if (hi <= lo) continue;
            FloatVector wv = FloatVector.broadcast(S, wt[(ch * p.kh() + ky) * p.kw() + kx]);
            int src = xp + iy * w + ix0;
            int ox = lo;
            if (sw == 1) {
              for (; ox + L <= hi; ox += L)
                FloatVector.fromArray(S, x, src + ox).fma(wv, FloatVector.fromArray(S, y, yr + ox)).intoArray(y, yr + ox);
            } else {
              for (; ox + L <= hi; ox += L)
                FloatVector.fromArray(S, x, src + ox * sw, gather, 0).fma(wv, FloatVector.fromArray(S, y, yr + ox)).intoArray(y, yr + ox);
            }
            if (ox < hi && sw == 1) {
              VectorMask<Float> m = S.indexInRange(ox, hi);
              FloatVector.fromArray(S, x, src + ox, m).fma(wv, FloatVector.fromArray(S, y, yr + ox, m)).intoArray(y, yr + ox, m);
            } else {
              // A masked gather still range-checks its unset lanes, so the strided tail is scalar (Math.fma: same bits).
              float wf = wt[(ch * p.kh() + ky) * p.kw() + kx];
              for (; ox < hi; ox++) y[yr + ox] = Math.fma(x[src + ox * sw], wf, y[yr + ox]);
            }
          }
        }
      }
    };
    int planes = p.n() * c;
    if ((long) planes * oh * ow * p.kh() * p.kw() < 1 << 16) for (int t = 0; t < planes; t++) plane.run(t);
    else Threads.forEach(planes, plane);
  }

  /** NHWC: weight [c][kh][kw] (i.e. [oc][kh][kw][1]); output rows (image, oy) are split over threads. */
  static void nhwc(ConvParams p, float[] x, int xOff, float[] wt, float[] bias, float[] y, int yOff) {
    int c = p.c(), kh = p.kh(), kw = p.kw(), oh = p.oh(), ow = p.ow();
    // Taps as [kh][kw][c] so one tap's weights for consecutive channels are one vector load.
    float[] taps = new float[kh * kw * c];
    for (int ch = 0; ch < c; ch++) for (int t = 0; t < kh * kw; t++) taps[t * c + ch] = wt[ch * kh * kw + t];
    float[] b = bias == null ? new float[c] : bias;
    Threads.TaskBody row = t -> {
      int img = t / oh, oy = t % oh, xi = xOff + img * p.h() * p.w() * c;
      for (int ox = 0; ox < ow; ox++) {
        int dst = yOff + ((img * oh + oy) * ow + ox) * c;
        for (int ch = 0; ch < c; ch += L) {
          VectorMask<Float> m = S.indexInRange(ch, c);
          FloatVector acc = FloatVector.fromArray(S, b, ch, m);
          for (int ky = 0; ky < kh; ky++) {
            int iy = oy * p.strideH() - p.padH() + ky * p.dilH();
            if (iy < 0 || iy >= p.h()) continue;
            for (int kx = 0; kx < kw; kx++) {
              int ix = ox * p.strideW() - p.padW() + kx * p.dilW();
              if (ix < 0 || ix >= p.w()) continue;
              FloatVector xv = FloatVector.fromArray(S, x, xi + (iy * p.w() + ix) * c + ch, m);
              acc = xv.fma(FloatVector.fromArray(S, taps, (ky * kw + kx) * c + ch, m), acc);
            }
          }
          acc.intoArray(y, dst + ch, m);
        }
      }
    };
    int rows = p.n() * oh;
    if ((long) rows * ow * c * kh * kw < 1 << 16) for (int t = 0; t < rows; t++) row.run(t);
    else Threads.forEach(rows, row);
  }
}
