package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Pool2d} against direct definitions, and NHWC against NCHW. */
class Pool2dTest {
  /** c, h, w, k, s, p, d, ceil */
  static final int[][] CASES = {
      {3, 8, 8, 2, 2, 0, 1, 0}, {5, 9, 11, 3, 2, 1, 1, 0}, {5, 9, 11, 3, 2, 1, 1, 1}, {20, 7, 6, 3, 1, 1, 1, 0},
      {4, 10, 10, 3, 3, 0, 1, 1}, {17, 12, 9, 2, 1, 0, 2, 0}, {2, 5, 5, 5, 1, 2, 1, 1}, {33, 14, 14, 3, 2, 1, 1, 1},
      // rows wide enough for the vector paths: stride 1, 2 (gathers) and 5 (scalar), with tails
      {3, 9, 70, 3, 2, 1, 1, 0}, {2, 5, 40, 3, 1, 1, 1, 1}, {2, 6, 50, 5, 5, 2, 1, 0}, {2, 6, 45, 3, 1, 1, 2, 1}};

  static PoolParams params(int n, int[] a, boolean avg) {
    return PoolParams.of(n, a[0], a[1], a[2], a[3], a[3], a[4], a[4], a[5], a[5], avg ? 1 : a[6], avg ? 1 : a[6], a[7] == 1);
  }

  @Test
  void maxMatchesDefinitionAndNhwc() {
    Random r = new Random(3);
    for (int[] a : CASES) {
      PoolParams p = params(2, a, false);
      float[] x = Conv2dTest.random(r, p.inputSize());
      x[r.nextInt(x.length)] = Float.NaN;
      float[] y = new float[(int) p.outputSize()];
      Pool2d.max(p, x, 0, y, 0);
      for (int pl = 0; pl < p.n() * p.c(); pl++)
        for (int oy = 0; oy < p.oh(); oy++)
          for (int ox = 0; ox < p.ow(); ox++) {
            float m = Float.NEGATIVE_INFINITY;
            boolean nan = false;
            for (int ky = 0; ky < p.kh(); ky++)
              for (int kx = 0; kx < p.kw(); kx++) {
                int iy = oy * p.strideH() - p.padH() + ky * p.dilH(), ix = ox * p.strideW() - p.padW() + kx * p.dilW();
                if (iy < 0 || iy >= p.h() || ix < 0 || ix >= p.w()) continue;
                float v = x[(pl * p.h() + iy) * p.w() + ix];
                nan |= Float.isNaN(v);
                if (v > m) m = v;
              }
            assertEquals(nan ? Float.NaN : m, y[(pl * p.oh() + oy) * p.ow() + ox], 0f, p + " at " + pl + "," + oy + "," + ox);
          }
      float[] yh = new float[y.length];
      Pool2d.maxNhwc(p, ConvReference.toLast(x, p.n(), p.c(), p.h(), p.w()), 0, yh, 0);
      assertArrayEquals(ConvReference.toLast(y, p.n(), p.c(), p.oh(), p.ow()), yh, "NHWC max " + p);
    }
  }

  @Test
  void avgMatchesDefinitionAndNhwc() {
    Random r = new Random(4);
    for (int[] a : CASES)
      for (int mode = 0; mode < 3; mode++) {
        boolean include = mode == 1;
        int override = mode == 2 ? 5 : 0;
        PoolParams p = params(2, a, true);
        float[] x = Conv2dTest.random(r, p.inputSize()), y = new float[(int) p.outputSize()];
        Pool2d.avg(p, include, override, x, 0, y, 0);
        for (int pl = 0; pl < p.n() * p.c(); pl++)
          for (int oy = 0; oy < p.oh(); oy++)
            for (int ox = 0; ox < p.ow(); ox++) {
              double s = 0;
              int inside = 0, padded = 0;
              for (int iy = oy * p.strideH() - p.padH(); iy < oy * p.strideH() - p.padH() + p.kh(); iy++)
                for (int ix = ox * p.strideW() - p.padW(); ix < ox * p.strideW() - p.padW() + p.kw(); ix++) {
                  // PyTorch counts padding cells but not cells beyond it (a ceil_mode window hanging off the edge).
                  if (iy < p.h() + p.padH() && ix < p.w() + p.padW()) padded++;
                  if (iy < 0 || iy >= p.h() || ix < 0 || ix >= p.w()) continue;
                  s += x[(pl * p.h() + iy) * p.w() + ix];
                  inside++;
                }
              double want = s / (override != 0 ? override : include ? padded : inside);
              float got = y[(pl * p.oh() + oy) * p.ow() + ox];
              if (!(Math.abs(got - want) <= 1e-5)) fail(p + " mode " + mode + " at " + pl + "," + oy + "," + ox + ": " + got + ", expected " + want);
            }
        float[] yh = new float[y.length];
        Pool2d.avgNhwc(p, include, override, ConvReference.toLast(x, p.n(), p.c(), p.h(), p.w()), 0, yh, 0);
        assertArrayEquals(ConvReference.toLast(y, p.n(), p.c(), p.oh(), p.ow()), yh, "NHWC avg " + p);
      }
  }

  @Test
  void ceilModeDropsWindowStartingInPadding() {
    // in 6, k 2, s 2, p 1: floor gives 4; ceil would give 5 but that window starts at 7 >= in + p, so 4.
    assertEquals(4, PoolParams.outSize(6, 2, 2, 1, 1, true));
    assertEquals(3, PoolParams.outSize(5, 2, 2, 0, 1, true));
    assertEquals(2, PoolParams.outSize(5, 2, 2, 0, 1, false));
  }
}
