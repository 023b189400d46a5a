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
  /** -Dkiln.depthwise.row=false keeps the pixel-outermost 3x3 paths ({@link #quad3x3}), to measure {@link DepthwiseRow}. */
  private static final boolean ROW = !"false".equals(System.getProperty("kiln.depthwise.row"));

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

  /**
   * NHWC: weight [c][kh][kw] (i.e. [oc][kh][kw][1]); output rows (image, oy) are split over threads. Then the epilogue
   * {@code y = max(min(y + res, hi), lo)} as each vector is stored (res at y's index, or null). Vectors run across
   * channels; four output pixels share each load of a tap's weights where all their taps are inside the input.
   */
  static void nhwc(ConvParams p, float[] x, int xOff, float[] wt, float[] bias, float[] y, int yOff, float[] res, float lo, float hi) {
    int c = p.c(), kh = p.kh(), kw = p.kw(), oh = p.oh(), ow = p.ow();
    // Taps as [kh][kw][c] so one tap's weights for consecutive channels are one vector load.
    float[] taps = new float[kh * kw * c];
    for (int ch = 0; ch < c; ch++) for (int t = 0; t < kh * kw; t++) taps[t * c + ch] = wt[ch * kh * kw + t];
    float[] b = bias == null ? new float[c] : bias;
    int cv = c - c % L;
    boolean k3 = kh == 3 && kw == 3 && p.dilH() == 1 && p.dilW() == 1;
    boolean k3s1 = k3 && p.strideW() == 1, k3s2 = k3 && p.strideW() == 2;
    boolean k3row = ROW && (k3s1 || k3s2);
    Threads.TaskBody row = t -> {
      int img = t / oh, oy = t % oh, xi = xOff + img * p.h() * p.w() * c;
      int ky0 = 0, ky1 = kh;
      while (ky0 < kh && oy * p.strideH() - p.padH() + ky0 * p.dilH() < 0) ky0++;
      while (ky1 > ky0 && oy * p.strideH() - p.padH() + (ky1 - 1) * p.dilH() >= p.h()) ky1--;
      int dstRow = yOff + (img * oh + oy) * ow * c;
      int ox = 0;
      if (k3row && ky0 == 0 && ky1 == 3) {
        // Pixels [oxa, oxb) have all nine taps inside: DepthwiseRow, channel vectors outermost; the rest pixel by pixel.
        int sw = p.strideW(), oxa = Math.min(ow, Math.ceilDiv(p.padW(), sw)), oxb = Math.max(oxa, Math.min(ow, Math.floorDiv(p.w() - 3 + p.padW(), sw) + 1));
        for (; ox < oxa; ox++) pixel(p, x, xi, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, 0, 3, clipLo(p, ox), clipHi(p, ox), cv);
        int x0 = xi + ((oy * p.strideH() - p.padH()) * p.w() + oxa * sw - p.padW()) * c;
        DepthwiseRow.run(x, x0, p.w() * c, c, sw, taps, b, y, dstRow + oxa * c, res, lo, hi, oxb - oxa, cv);
        if (cv < c) for (; ox < oxb; ox++) pixelTail(p, x, xi, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, 0, 3, cv);
        for (ox = oxb; ox < ow; ox++) pixel(p, x, xi, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, 0, 3, clipLo(p, ox), clipHi(p, ox), cv);
        return;
      }
      while (ox < ow) {
        int kx0 = 0, kx1 = kw, ix0 = ox * p.strideW() - p.padW();
        while (kx0 < kw && ix0 + kx0 * p.dilW() < 0) kx0++;
        while (kx1 > kx0 && ix0 + (kx1 - 1) * p.dilW() >= p.w()) kx1--;
        // Four pixels at once when the fourth's taps are all inside too (then so are those between).
        if (kx0 == 0 && kx1 == kw && ox + 3 < ow && (ox + 3) * p.strideW() - p.padW() + (kw - 1) * p.dilW() < p.w()) {
          int x0 = xi + ((oy * p.strideH() - p.padH()) * p.w() + ox * p.strideW() - p.padW()) * c;
          if (k3s1 && ky0 == 0 && ky1 == 3) quad3x3(p, x, x0, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, cv);
          else if (k3s2 && ky0 == 0 && ky1 == 3) quad3x3s2(p, x, x0, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, cv);
          else quad(p, x, xi, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, ky0, ky1, cv);
          ox += 4;
        } else {
          pixel(p, x, xi, taps, b, y, dstRow + ox * c, res, lo, hi, oy, ox, ky0, ky1, kx0, kx1, cv);
          ox++;
        }
      }
    };
    int rows = p.n() * oh;
    if ((long) rows * ow * c * kh * kw < 1 << 16) for (int t = 0; t < rows; t++) row.run(t);
    else Threads.forEach(rows, row);
  }

  /** First kx tap of output column ox inside the input. */
  private static int clipLo(ConvParams p, int ox) {
    int kx = 0, ix0 = ox * p.strideW() - p.padW();
    while (kx < p.kw() && ix0 + kx * p.dilW() < 0) kx++;
    return kx;
  }

  /** One past the last kx tap of output column ox inside the input. */
  private static int clipHi(ConvParams p, int ox) {
    int kx = p.kw(), ix0 = ox * p.strideW() - p.padW();
    while (kx > 0 && ix0 + (kx - 1) * p.dilW() >= p.w()) kx--;
    return kx;
  }

  /** One output pixel at y[dst]: taps ky in [ky0, ky1), kx in [kx0, kx1) (the ones inside the input). */
  private static void pixel(ConvParams p, float[] x, int xi, float[] taps, float[] b, float[] y, int dst, float[] res, float lo, float hi,
      int oy, int ox, int ky0, int ky1, int kx0, int kx1, int cv) {
    int c = p.c(), kw = p.kw(), w = p.w();
    FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
    for (int ch = 0; ch < cv; ch += L) {
      FloatVector acc = FloatVector.fromArray(S, b, ch);
      for (int ky = ky0; ky < ky1; ky++) {
        int xr = xi + (oy * p.strideH() - p.padH() + ky * p.dilH()) * w * c;
        for (int kx = kx0; kx < kx1; kx++) {
          int ix = ox * p.strideW() - p.padW() + kx * p.dilW();
          acc = FloatVector.fromArray(S, x, xr + ix * c + ch).fma(FloatVector.fromArray(S, taps, (ky * kw + kx) * c + ch), acc);
        }
      }
      if (res != null) acc = acc.add(FloatVector.fromArray(S, res, dst + ch));
      acc.min(vhi).max(vlo).intoArray(y, dst + ch);
    }
    for (int ch = cv; ch < c; ch++) {
      float acc = b[ch];
      for (int ky = ky0; ky < ky1; ky++) {
        int xr = xi + (oy * p.strideH() - p.padH() + ky * p.dilH()) * w * c;
        for (int kx = kx0; kx < kx1; kx++) acc = Math.fma(x[xr + (ox * p.strideW() - p.padW() + kx * p.dilW()) * c + ch], taps[(ky * kw + kx) * c + ch], acc);
      }
      if (res != null) acc += res[dst + ch];
      y[dst + ch] = Math.max(Math.min(acc, hi), lo);
    }
  }

  /** Output pixels ox..ox+3 of row oy, all of whose kx taps are inside the input: each tap's weights loaded once. */
  private static void quad(ConvParams p, float[] x, int xi, float[] taps, float[] b, float[] y, int dst, float[] res, float lo, float hi,
      int oy, int ox, int ky0, int ky1, int cv) {
    int c = p.c(), kw = p.kw(), w = p.w(), step = p.strideW() * c;
    FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
    for (int ch = 0; ch < cv; ch += L) {
      FloatVector a0 = FloatVector.fromArray(S, b, ch), a1 = a0, a2 = a0, a3 = a0;
      for (int ky = ky0; ky < ky1; ky++) {
        int xr = xi + (oy * p.strideH() - p.padH() + ky * p.dilH()) * w * c + ch;
        for (int kx = 0; kx < kw; kx++) {
          int s0 = xr + (ox * p.strideW() - p.padW() + kx * p.dilW()) * c;
          FloatVector wv = FloatVector.fromArray(S, taps, (ky * kw + kx) * c + ch);
          a0 = FloatVector.fromArray(S, x, s0).fma(wv, a0);
          a1 = FloatVector.fromArray(S, x, s0 + step).fma(wv, a1);
          a2 = FloatVector.fromArray(S, x, s0 + 2 * step).fma(wv, a2);
          a3 = FloatVector.fromArray(S, x, s0 + 3 * step).fma(wv, a3);
        }
      }
      if (res != null) {
        a0 = a0.add(FloatVector.fromArray(S, res, dst + ch));
        a1 = a1.add(FloatVector.fromArray(S, res, dst + c + ch));
        a2 = a2.add(FloatVector.fromArray(S, res, dst + 2 * c + ch));
        a3 = a3.add(FloatVector.fromArray(S, res, dst + 3 * c + ch));
      }
      a0.min(vhi).max(vlo).intoArray(y, dst + ch);
      a1.min(vhi).max(vlo).intoArray(y, dst + c + ch);
      a2.min(vhi).max(vlo).intoArray(y, dst + 2 * c + ch);
      a3.min(vhi).max(vlo).intoArray(y, dst + 3 * c + ch);
    }
    if (cv < c) {
      // Channel tail: the scalar path, pixel by pixel.
      for (int i = 0; i < 4; i++) pixelTail(p, x, xi, taps, b, y, dst + i * c, res, lo, hi, oy, ox + i, ky0, ky1, cv);
    }
  }

  /**
   * {@link #quad} for a 3x3 kernel at stride 1 and dilation 1 with all nine taps inside: x from {@code x[x0]} (the
   * window's top-left input pixel of the first output pixel). Neighbouring pixels share input vectors (six per
   * kernel row serve four pixels), and every index is the channel plus a fixed offset, so bounds checks hoist.
   */
  private static void quad3x3(ConvParams p, float[] x, int x0, float[] taps, float[] b, float[] y, int dst, float[] res, float lo, float hi,
      int oy, int ox, int cv) {
    int c = p.c(), wc = p.w() * c;
    FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
    for (int ch = 0; ch < cv; ch += L) {
      FloatVector a0 = FloatVector.fromArray(S, b, ch), a1 = a0, a2 = a0, a3 = a0;
      for (int ky = 0; ky < 3; ky++) {
        int xr = x0 + ky * wc + ch, tr = ky * 3 * c + ch;
        FloatVector w0 = FloatVector.fromArray(S, taps, tr), w1 = FloatVector.fromArray(S, taps, tr + c), w2 = FloatVector.fromArray(S, taps, tr + 2 * c);
        FloatVector v0 = FloatVector.fromArray(S, x, xr), v1 = FloatVector.fromArray(S, x, xr + c), v2 = FloatVector.fromArray(S, x, xr + 2 * c);
        FloatVector v3 = FloatVector.fromArray(S, x, xr + 3 * c), v4 = FloatVector.fromArray(S, x, xr + 4 * c), v5 = FloatVector.fromArray(S, x, xr + 5 * c);
        a0 = v2.fma(w2, v1.fma(w1, v0.fma(w0, a0)));
        a1 = v3.fma(w2, v2.fma(w1, v1.fma(w0, a1)));
        a2 = v4.fma(w2, v3.fma(w1, v2.fma(w0, a2)));
        a3 = v5.fma(w2, v4.fma(w1, v3.fma(w0, a3)));
      }
      if (res != null) {
        a0 = a0.add(FloatVector.fromArray(S, res, dst + ch));
        a1 = a1.add(FloatVector.fromArray(S, res, dst + c + ch));
        a2 = a2.add(FloatVector.fromArray(S, res, dst + 2 * c + ch));
        a3 = a3.add(FloatVector.fromArray(S, res, dst + 3 * c + ch));
      }
      a0.min(vhi).max(vlo).intoArray(y, dst + ch);
      a1.min(vhi).max(vlo).intoArray(y, dst + c + ch);
      a2.min(vhi).max(vlo).intoArray(y, dst + 2 * c + ch);
      a3.min(vhi).max(vlo).intoArray(y, dst + 3 * c + ch);
    }
    if (cv < c) for (int i = 0; i < 4; i++) pixelTail(p, x, x0 - ((oy - p.padH()) * p.w() + ox - p.padW()) * c, taps, b, y, dst + i * c, res, lo, hi, oy, ox + i, 0, 3, cv);
  }

  /** {@link #quad3x3} at stride 2 along w: nine input vectors per kernel row serve the four pixels. */
  private static void quad3x3s2(ConvParams p, float[] x, int x0, float[] taps, float[] b, float[] y, int dst, float[] res, float lo, float hi,
      int oy, int ox, int cv) {
    int c = p.c(), wc = p.w() * c;
    FloatVector vlo = FloatVector.broadcast(S, lo), vhi = FloatVector.broadcast(S, hi);
    for (int ch = 0; ch < cv; ch += L) {
      FloatVector a0 = FloatVector.fromArray(S, b, ch), a1 = a0, a2 = a0, a3 = a0;
      for (int ky = 0; ky < 3; ky++) {
        int xr = x0 + ky * wc + ch, tr = ky * 3 * c + ch;
        FloatVector w0 = FloatVector.fromArray(S, taps, tr), w1 = FloatVector.fromArray(S, taps, tr + c), w2 = FloatVector.fromArray(S, taps, tr + 2 * c);
        FloatVector v0 = FloatVector.fromArray(S, x, xr), v1 = FloatVector.fromArray(S, x, xr + c), v2 = FloatVector.fromArray(S, x, xr + 2 * c);
        a0 = v2.fma(w2, v1.fma(w1, v0.fma(w0, a0)));
        v0 = FloatVector.fromArray(S, x, xr + 3 * c);
        v1 = FloatVector.fromArray(S, x, xr + 4 * c);
        a1 = v1.fma(w2, v0.fma(w1, v2.fma(w0, a1)));
        v0 = FloatVector.fromArray(S, x, xr + 5 * c);
        v2 = FloatVector.fromArray(S, x, xr + 6 * c);
        a2 = v2.fma(w2, v0.fma(w1, v1.fma(w0, a2)));
        v0 = FloatVector.fromArray(S, x, xr + 7 * c);
        v1 = FloatVector.fromArray(S, x, xr + 8 * c);
        a3 = v1.fma(w2, v0.fma(w1, v2.fma(w0, a3)));
      }
      if (res != null) {
        a0 = a0.add(FloatVector.fromArray(S, res, dst + ch));
        a1 = a1.add(FloatVector.fromArray(S, res, dst + c + ch));
        a2 = a2.add(FloatVector.fromArray(S, res, dst + 2 * c + ch));
        a3 = a3.add(FloatVector.fromArray(S, res, dst + 3 * c + ch));
      }
      a0.min(vhi).max(vlo).intoArray(y, dst + ch);
      a1.min(vhi).max(vlo).intoArray(y, dst + c + ch);
      a2.min(vhi).max(vlo).intoArray(y, dst + 2 * c + ch);
      a3.min(vhi).max(vlo).intoArray(y, dst + 3 * c + ch);
    }
    if (cv < c) for (int i = 0; i < 4; i++) pixelTail(p, x, x0 - ((oy * 2 - p.padH()) * p.w() + ox * 2 - p.padW()) * c, taps, b, y, dst + i * c, res, lo, hi, oy, ox + i, 0, 3, cv);
  }

  private static void pixelTail(ConvParams p, float[] x, int xi, float[] taps, float[] b, float[] y, int dst, float[] res, float lo, float hi,
      int oy, int ox, int ky0, int ky1, int cv) {
    int c = p.c(), kw = p.kw(), w = p.w();
    for (int ch = cv; ch < c; ch++) {
      float acc = b[ch];
      for (int ky = ky0; ky < ky1; ky++) {
        int xr = xi + (oy * p.strideH() - p.padH() + ky * p.dilH()) * w * c;
        for (int kx = 0; kx < kw; kx++) acc = Math.fma(x[xr + (ox * p.strideW() - p.padW() + kx * p.dilW()) * c + ch], taps[(ky * kw + kx) * c + ch], acc);
      }
      if (res != null) acc += res[dst + ch];
      y[dst + ch] = Math.max(Math.min(acc, hi), lo);
    }
  }
}
