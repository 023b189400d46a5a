package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The implicit-GEMM channels-last convolution ({@link ConvNhwc}, taken by {@link Conv2d#runNhwc} with a prepacked
 * weight) against the naive definition, and the fused epilogue ({@code max(min(y + residual, hi), lo)}) against the
 * same convolution followed by the epilogue as a separate loop.
 */
class ConvNhwcTest {
  @AfterEach
  void restoreThreads() { Threads.setThreads(Runtime.getRuntime().availableProcessors()); }

  /** n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups: the implicit-GEMM cases plus Conv2dTest's. */
  static final int[][] CASES = {
      {1, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1},     // resnet body: padded 3x3, two tap rows per depth block
      {1, 3, 23, 21, 64, 7, 7, 2, 2, 3, 3, 1, 1, 1},    // stem: c = 3, a kernel row is 21 floats
      {2, 24, 7, 9, 40, 1, 1, 1, 1, 0, 0, 1, 1, 1},     // pointwise, ragged columns, two images
      {1, 48, 13, 13, 24, 1, 1, 2, 2, 0, 0, 1, 1, 1},   // 1x1 stride 2: rows read x in place with a stride
      {1, 300, 5, 6, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1},    // kdim 2700: many depth blocks split kernel rows
      {1, 20, 10, 11, 16, 3, 3, 1, 2, 2, 1, 2, 3, 1},   // dilation (per-tap segments), uneven stride/padding
      {1, 16, 3, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1},      // fewer output pixels than one tile row block
      {1, 32, 9, 13, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1},    // oc = 16: narrow tiles (one vector on AVX-512) and ragged rows
      {1, 24, 17, 19, 48, 1, 1, 1, 1, 0, 0, 1, 1, 1},   // oc = 48 (NR + L on AVX-512): wide then narrow, rows over blocks
      {1, 20, 11, 11, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // oc = 24 (NR + L on AVX2), padded 3x3
      {1, 300, 6, 6, 144, 1, 1, 1, 1, 0, 0, 1, 1, 1},   // oc = 144, two depth blocks through the narrow tile
  };

  static PackedMatrix[] packed(ConvParams p, float[] wh) {
    PackedMatrix[] pk = Conv2d.prepack(p, wh, true);
    assertTrue(pk != null && ConvNhwc.takes(p, pk), "the implicit path must take " + p);
    return pk;
  }

  @Test
  void implicitGemmMatchesDefinition() {
    long seed = 100;
    for (int[][] set : new int[][][] {CASES, Conv2dTest.CASES}) {
      for (int[] a : set) {
        ConvParams p = Conv2dTest.params(a);
        Random r = new Random(seed++);
        float[] x = Conv2dTest.random(r, p.inputSize()), wt = Conv2dTest.random(r, p.weightSize());
        float[] bias = r.nextBoolean() ? Conv2dTest.random(r, p.oc()) : null;
        float[] xh = ConvReference.toLast(x, p.n(), p.c(), p.h(), p.w()), wh = ConvReference.toLast(wt, p.oc(), p.cg(), p.kh(), p.kw());
        PackedMatrix[] pk = Conv2d.prepack(p, wh, true);
        float[] xs = new float[xh.length + 4];
        System.arraycopy(xh, 0, xs, 4, xh.length);
        float[] y = new float[(int) p.outputSize() + 3];
        Arrays.fill(y, Float.NaN); // stale contents must be overwritten
        Conv2d.runNhwc(p, xs, 4, wh, pk, bias, y, 3);
        float[] want = toLast(ConvReference.conv(p, x, wt, bias), p);
        double[] wd = new double[want.length];
        for (int i = 0; i < wd.length; i++) wd[i] = want[i];
        Conv2dTest.assertClose(wd, y, 3, "implicit NHWC " + p);
      }
    }
  }

  @Test
  void fusedEpilogueEqualsSeparateLoop() {
    long seed = 200;
    float[][] bounds = {{0f, Float.POSITIVE_INFINITY}, {0f, 6f}, {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}};
    int[][] cases = {CASES[0], CASES[2], CASES[3], CASES[7], CASES[8], Conv2dTest.CASES[6], Conv2dTest.CASES[7], Conv2dTest.CASES[3],
        Conv2dTest.CASES[12], Conv2dTest.CASES[13]};
    for (int[] a : cases) {
      for (float[] lohi : bounds) {
        for (boolean withResidual : new boolean[] {false, true}) {
          ConvParams p = Conv2dTest.params(a);
          Random r = new Random(seed++);
          float[] xh = Conv2dTest.random(r, p.inputSize()), wh = Conv2dTest.random(r, p.weightSize()), bias = Conv2dTest.random(r, p.oc());
          for (int i = 0; i < wh.length; i++) wh[i] *= 8; // outputs beyond 6, so the upper clamp bites
          float[] res = withResidual ? Conv2dTest.random(r, p.outputSize() + 2) : null;
          PackedMatrix[] pk = Conv2d.prepack(p, wh, true);
          float[] plain = new float[(int) p.outputSize() + 2], fused = new float[plain.length];
          Conv2d.runNhwc(p, xh, 0, wh, pk, bias, plain, 2);
          for (int i = 2; i < plain.length; i++) {
            float v = plain[i] + (res == null ? 0f : res[i]);
            plain[i] = Math.max(Math.min(v, lohi[1]), lohi[0]);
          }
          Conv2d.runNhwc(p, xh, 0, wh, pk, bias, fused, 2, res, lohi[0], lohi[1]);
          assertArrayEquals(plain, fused, "epilogue [" + lohi[0] + ", " + lohi[1] + "] residual " + withResidual + ": " + p);
        }
      }
    }
  }

  @Test
  void threadCountDoesNotChangeBits() {
    int[][] big = {{2, 32, 20, 20, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {1, 64, 30, 30, 64, 1, 1, 1, 1, 0, 0, 1, 1, 1},
        {1, 32, 30, 30, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1}};
    for (int[] a : big) {
      ConvParams p = Conv2dTest.params(a);
      Random r = new Random(9);
      float[] xh = Conv2dTest.random(r, p.inputSize()), wh = Conv2dTest.random(r, p.weightSize()), bias = Conv2dTest.random(r, p.oc());
      float[] res = Conv2dTest.random(r, p.outputSize());
      PackedMatrix[] pk = packed(p, wh);
      float[] ref = null;
      for (int t : new int[] {1, 2, 3}) {
        Threads.setThreads(t);
        float[] y = new float[(int) p.outputSize()];
        Conv2d.runNhwc(p, xh, 0, wh, pk, bias, y, 0, res, 0f, Float.POSITIVE_INFINITY);
        if (ref == null) ref = y;
        else assertArrayEquals(ref, y, t + " threads: " + p);
      }
    }
  }

  @Test
  void residualMustNotBeTheOutput() {
    ConvParams p = ConvParams.of(1, 16, 4, 4, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    float[] x = new float[(int) p.inputSize()], w = new float[(int) p.weightSize()], y = new float[(int) p.outputSize()];
    var e = assertThrows(IllegalArgumentException.class, () -> Conv2d.runNhwc(p, x, 0, w, Conv2d.prepack(p, w, true), null, y, 0, y, 0f, 6f));
    assertTrue(e.getMessage().contains("residual"), e.getMessage());
    var shortRes = assertThrows(IllegalArgumentException.class,
        () -> Conv2d.runNhwc(p, x, 0, w, null, null, y, 0, new float[5], 0f, 6f));
    assertEquals(true, shortRes.getMessage().contains("residual needs 256"), shortRes.getMessage());
  }

  private static float[] toLast(double[] nchw, ConvParams p) {
    float[] f = new float[nchw.length];
    for (int i = 0; i < f.length; i++) f[i] = (float) nchw[i];
    return ConvReference.toLast(f, p.n(), p.oc(), p.oh(), p.ow());
  }
}
