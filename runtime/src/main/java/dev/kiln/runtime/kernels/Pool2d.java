package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * max_pool2d and avg_pool2d with PyTorch semantics, NCHW ([n][c][h][w] in, [n][c][oh][ow] out) or NHWC
 * ([n][h][w][c] in, [n][oh][ow][c] out). NHWC vectorizes across channels; NCHW walks each plane. Both visit a
 * window row by row in the same order, so NCHW and NHWC give identical bits. Planes or output rows are split over
 * {@link Threads}. All methods are thread-safe; y is overwritten.
 */
public final class Pool2d {
  private Pool2d() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  /** Max over each window; padding never wins (it counts as -inf); a NaN in a window gives NaN. NCHW. */
  public static void max(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
    check(p, x, xOff, y, yOff);
    forEach(p.n() * p.c(), (long) p.oh() * p.ow() * p.kh() * p.kw(), t -> {
      int xp = xOff + t * p.h() * p.w(), yp = yOff + t * p.oh() * p.ow();
      for (int oy = 0; oy < p.oh(); oy++) {
        int yr = yp + oy * p.ow();
        java.util.Arrays.fill(y, yr, yr + p.ow(), Float.NEGATIVE_INFINITY);
        for (int ky = 0; ky < p.kh(); ky++) {
          int iy = oy * p.strideH() - p.padH() + ky * p.dilH();
          if (iy >= 0 && iy < p.h())
            for (int kx = 0; kx < p.kw(); kx++) rowTap(p, x, xp + iy * p.w(), kx * p.dilW() - p.padW(), y, yr, true);
        }
      }
    });
  }

  /**
   * One window tap over a whole output row: {@code y[yr + ox] = max(y, x)} (or {@code + x}) with
   * {@code x = x[src + ox*stride + ix0]} for every ox whose input column is inside the row. Vectors along ox: plain
   * loads at stride 1, gathers otherwise; the ragged end is scalar (a masked gather still range-checks unset lanes).
   */
  private static void rowTap(PoolParams p, float[] x, int src, int ix0, float[] y, int yr, boolean max) {
    int sw = p.strideW(), ow = p.ow();
    int lo = Math.min(ow, Math.max(0, Math.ceilDiv(-ix0, sw))), hi = Math.min(ow, Math.floorDiv(p.w() - 1 - ix0, sw) + 1);
    int ox = lo;
    src += ix0;
    if (sw == 1) {
      for (; ox + L <= hi; ox += L) {
        FloatVector a = FloatVector.fromArray(S, y, yr + ox), b = FloatVector.fromArray(S, x, src + ox);
        (max ? a.max(b) : a.add(b)).intoArray(y, yr + ox);
      }
    } else {
      int[] gather = GATHER[Math.min(sw, GATHER.length - 1)];
      if (sw < GATHER.length)
        for (; ox + L <= hi; ox += L) {
          FloatVector a = FloatVector.fromArray(S, y, yr + ox), b = FloatVector.fromArray(S, x, src + ox * sw, gather, 0);
          (max ? a.max(b) : a.add(b)).intoArray(y, yr + ox);
        }
    }
    for (; ox < hi; ox++) y[yr + ox] = max ? Math.max(y[yr + ox], x[src + ox * sw]) : y[yr + ox] + x[src + ox * sw];
  }

  /** Gather index maps {0, s, 2s, ...} for strides 2..4 (wider strides take the scalar loop). */
  private static final int[][] GATHER = new int[5][L];

  static {
    for (int s = 0; s < GATHER.length; s++) for (int i = 0; i < L; i++) GATHER[s][i] = i * s;
  }

  /**
   * {@link #max} for NHWC: vectors across channels (full vectors unmasked, the channel tail scalar), the window
   * clipped to the input once per output row and pixel instead of testing every tap.
   */
  public static void maxNhwc(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
    check(p, x, xOff, y, yOff);
    int c = p.c(), cv = c - c % L;
    forEach(p.n() * p.oh(), (long) p.ow() * c * p.kh() * p.kw(), t -> {
      int img = t / p.oh(), oy = t % p.oh(), xi = xOff + img * p.h() * p.w() * c;
      int iy0 = oy * p.strideH() - p.padH();
      int ky0 = Math.max(0, Math.ceilDiv(-iy0, p.dilH())), ky1 = Math.min(p.kh(), Math.floorDiv(p.h() - 1 - iy0, p.dilH()) + 1);
      for (int ox = 0; ox < p.ow(); ox++) {
        int dst = yOff + (t * p.ow() + ox) * c, ix0 = ox * p.strideW() - p.padW();
        int kx0 = Math.max(0, Math.ceilDiv(-ix0, p.dilW())), kx1 = Math.min(p.kw(), Math.floorDiv(p.w() - 1 - ix0, p.dilW()) + 1);
        for (int ch = 0; ch < cv; ch += L) {
          FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
          for (int ky = ky0; ky < ky1; ky++) {
            int row = xi + (iy0 + ky * p.dilH()) * p.w() * c + ch;
            for (int kx = kx0; kx < kx1; kx++) m = m.max(FloatVector.fromArray(S, x, row + (ix0 + kx * p.dilW()) * c));
          }
          m.intoArray(y, dst + ch);
        }
        for (int ch = cv; ch < c; ch++) {
          float m = Float.NEGATIVE_INFINITY;
          for (int ky = ky0; ky < ky1; ky++) {
            int row = xi + (iy0 + ky * p.dilH()) * p.w() * c + ch;
            for (int kx = kx0; kx < kx1; kx++) m = Math.max(m, x[row + (ix0 + kx * p.dilW()) * c]);
          }
          y[dst + ch] = m;
        }
      }
    });
  }

  /**
   * Mean over each window, NCHW. The window spans rows [oy*s - p, min(oy*s - p + k, h + p)) (likewise columns); its
   * size there is the divisor when countIncludePad, its size clipped to the input otherwise; a divisorOverride
   * other than 0 replaces both. Dilation must be 1 (PyTorch's avg_pool2d has none).
   */
  public static void avg(PoolParams p, boolean countIncludePad, int divisorOverride, float[] x, int xOff, float[] y, int yOff) {
    checkAvg(p, x, xOff, y, yOff);
    forEach(p.n() * p.c(), (long) p.oh() * p.ow() * p.kh() * p.kw(), t -> {
      int xp = xOff + t * p.h() * p.w(), yp = yOff + t * p.oh() * p.ow();
      for (int oy = 0; oy < p.oh(); oy++) {
        int yr = yp + oy * p.ow();
        int y0 = oy * p.strideH() - p.padH(), y1 = Math.min(y0 + p.kh(), p.h() + p.padH());
        // Taps in row-major window order, as avgNhwc adds them, so both layouts round alike.
        java.util.Arrays.fill(y, yr, yr + p.ow(), 0f);
        for (int iy = Math.max(y0, 0); iy < Math.min(y1, p.h()); iy++)
          for (int kx = 0; kx < p.kw(); kx++) rowTap(p, x, xp + iy * p.w(), kx - p.padW(), y, yr, false);
        for (int ox = 0; ox < p.ow(); ox++) {
          int x0 = ox * p.strideW() - p.padW(), x1 = Math.min(x0 + p.kw(), p.w() + p.padW());
          y[yr + ox] /= divisor(p, countIncludePad, divisorOverride, y0, y1, x0, x1);
        }
      }
    });
  }

  /** {@link #avg} for NHWC. */
  public static void avgNhwc(PoolParams p, boolean countIncludePad, int divisorOverride, float[] x, int xOff, float[] y, int yOff) {
    checkAvg(p, x, xOff, y, yOff);
    int c = p.c();
    forEach(p.n() * p.oh(), (long) p.ow() * c * p.kh() * p.kw(), t -> {
      int img = t / p.oh(), oy = t % p.oh(), xi = xOff + img * p.h() * p.w() * c;
      int y0 = oy * p.strideH() - p.padH(), y1 = Math.min(y0 + p.kh(), p.h() + p.padH());
      for (int ox = 0; ox < p.ow(); ox++) {
        int x0 = ox * p.strideW() - p.padW(), x1 = Math.min(x0 + p.kw(), p.w() + p.padW());
        float div = divisor(p, countIncludePad, divisorOverride, y0, y1, x0, x1);
        int dst = yOff + (t * p.ow() + ox) * c;
        for (int ch = 0; ch < c; ch += L) {
          VectorMask<Float> msk = S.indexInRange(ch, c);
          FloatVector sum = FloatVector.zero(S);
          for (int iy = Math.max(y0, 0); iy < Math.min(y1, p.h()); iy++)
            for (int ix = Math.max(x0, 0); ix < Math.min(x1, p.w()); ix++)
              sum = sum.add(FloatVector.fromArray(S, x, xi + (iy * p.w() + ix) * c + ch, msk));
          sum.div(div).intoArray(y, dst + ch, msk);
        }
      }
    });
  }

  private static float divisor(PoolParams p, boolean countIncludePad, int divisorOverride, int y0, int y1, int x0, int x1) {
    if (divisorOverride != 0) return divisorOverride;
    if (countIncludePad) return (y1 - y0) * (x1 - x0);
    return (Math.min(y1, p.h()) - Math.max(y0, 0)) * (Math.min(x1, p.w()) - Math.max(x0, 0));
  }

  private static void forEach(int tasks, long workPerTask, Threads.TaskBody body) {
    if (tasks * workPerTask < 1 << 16) for (int t = 0; t < tasks; t++) body.run(t);
    else Threads.forEach(tasks, body);
  }

  private static void checkAvg(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
    if (p.dilH() != 1 || p.dilW() != 1) throw new IllegalArgumentException("avg pooling has no dilation, got " + p.dilH() + "x" + p.dilW());
    check(p, x, xOff, y, yOff);
  }

  private static void check(PoolParams p, float[] x, int xOff, float[] y, int yOff) {
    if (xOff < 0 || x.length - (long) xOff < p.inputSize())
      throw new IllegalArgumentException("pool input needs " + p.inputSize() + " floats from offset " + xOff + ", array has " + x.length);
    if (yOff < 0 || y.length - (long) yOff < p.outputSize())
      throw new IllegalArgumentException("pool output needs " + p.outputSize() + " floats from offset " + yOff + ", array has " + y.length);
  }
}
