package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.runtime.interp.OpRunner.f;
import static dev.kiln.runtime.interp.OpRunner.fl;
import static dev.kiln.runtime.interp.OpRunner.run1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.ops.NnOps;
import dev.kiln.runtime.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NnKernelsTest {
  private static Tensor iota(int n, long... shape) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = i + 1;
    return f(v, shape);
  }

  private static Tensor random(Random r, long... shape) {
    float[] v = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
    return f(v, shape);
  }

  @Test
  void conv2dOnAThreeByThreeImage() {
    // x = 1..9 in a 3x3 grid; a 2x2 kernel [[1,0],[0,-1]] computes x[i][j] - x[i+1][j+1] = -4 everywhere.
    Tensor x = iota(9, 1, 1, 3, 3), w = f(fl(1, 0, 0, -1), 1, 1, 2, 2);
    Tensor y = run1(NnOps.CONV2D, Map.of(), x, w);
    assertArrayEquals(new long[] {1, 1, 2, 2}, y.shape());
    assertArrayEquals(fl(-4, -4, -4, -4), y.toFloatArray());
    // a 3x3 box filter with padding 1 and bias 0.5 sums each neighbourhood
    Tensor box = f(fl(1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 1, 3, 3);
    Tensor s = run1(NnOps.CONV2D, attrs("padding", new long[] {1, 1}), x, box, f(fl(0.5), 1));
    assertArrayEquals(fl(12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5), s.toFloatArray());
    Tensor st = run1(NnOps.CONV2D, attrs("padding", new long[] {1, 1}, "stride", new long[] {2, 2}), x, box);
    assertArrayEquals(fl(12, 16, 24, 28), st.toFloatArray());
  }

  /** Straightforward seven-loop convolution, the definition the fast kernel must match. */
  private static float[] naiveConv(Tensor xt, Tensor wt, int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
    long[] xs = xt.shape(), ws = wt.shape();
    int n = (int) xs[0], c = (int) xs[1], h = (int) xs[2], wd = (int) xs[3], o = (int) ws[0], cg = (int) ws[1], kh = (int) ws[2], kw = (int) ws[3];
    int oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (wd + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    float[] x = xt.toFloatArray(), w = wt.toFloatArray(), y = new float[n * o * oh * ow];
    int og = o / groups;
    for (int b = 0; b < n; b++) for (int oc = 0; oc < o; oc++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
      double acc = 0;
      int g = oc / og;
      for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
        int iy = i * sh - ph + ky * dh, ix = j * sw - pw + kx * dw;
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        acc += x[((b * c + g * cg + ci) * h + iy) * wd + ix] * w[((oc * cg + ci) * kh + ky) * kw + kx];
      }
      y[((b * o + oc) * oh + i) * ow + j] = (float) acc;
    }
    return y;
  }

  @Test
  void conv2dMatchesTheDefinitionForStridePaddingDilationAndGroups() {
    Random r = new Random(1);
    int[][] cases = { // n, c, h, w, o, k, stride, pad, dilation, groups
        {2, 3, 9, 11, 5, 3, 1, 1, 1, 1}, {1, 4, 10, 10, 6, 3, 2, 1, 1, 2}, {1, 8, 7, 7, 8, 3, 1, 1, 1, 8},
        {1, 3, 12, 9, 4, 3, 1, 2, 2, 1}, {1, 6, 5, 5, 20, 1, 1, 0, 1, 1}, {1, 3, 23, 21, 34, 7, 2, 3, 1, 1}};
    for (int[] k : cases) {
      Tensor x = random(r, k[0], k[1], k[2], k[3]), w = random(r, k[4], k[1] / k[9], k[5], k[5]);
      Tensor y = run1(NnOps.CONV2D, attrs("stride", new long[] {k[6], k[6]}, "padding", new long[] {k[7], k[7]},
          "dilation", new long[] {k[8], k[8]}, "groups", (long) k[9]), x, w);
      float[] want = naiveConv(x, w, k[6], k[6], k[7], k[7], k[8], k[8], k[9]);
      assertTrue(y.allClose(Tensor.fromFloats(want, y.shape()), 1e-4, 1e-4), "case " + java.util.Arrays.toString(k) + " max diff " + y.maxAbsDiff(Tensor.fromFloats(want, y.shape())));
    }
  }

  @Test
  void maxPoolWithCeilModeAndPaddingAsMinusInfinity() {
    Tensor x = iota(25, 1, 1, 5, 5);
    Tensor floor = run1(NnOps.MAX_POOL2D, attrs("kernel_size", new long[] {2, 2}, "stride", new long[] {2, 2}), x);
    assertArrayEquals(fl(7, 9, 17, 19), floor.toFloatArray());
    Tensor ceil = run1(NnOps.MAX_POOL2D, attrs("kernel_size", new long[] {2, 2}, "stride", new long[] {2, 2}, "ceil_mode", true), x);
    assertArrayEquals(new long[] {1, 1, 3, 3}, ceil.shape());
    assertArrayEquals(fl(7, 9, 10, 17, 19, 20, 22, 24, 25), ceil.toFloatArray());
    Tensor neg = f(fl(-1, -2, -3, -4), 1, 1, 2, 2);
    Tensor padded = run1(NnOps.MAX_POOL2D, attrs("kernel_size", new long[] {2, 2}, "stride", new long[] {1, 1}, "padding", new long[] {1, 1}), neg);
    assertArrayEquals(fl(-1, -1, -2, -1, -1, -2, -3, -3, -4), padded.toFloatArray());
  }

  @Test
  void avgPoolCountsPaddingAsAsked() {
    Tensor x = iota(9, 1, 1, 3, 3);
    Map<String, dev.kiln.ir.Attr> base = attrs("kernel_size", new long[] {2, 2}, "stride", new long[] {2, 2}, "padding", new long[] {1, 1});
    // windows: {1}, {2,3}, {4,7}, {5,6,8,9}
    assertArrayEquals(fl(0.25, 1.25, 2.75, 7), run1(NnOps.AVG_POOL2D, base, x).toFloatArray());
    Map<String, dev.kiln.ir.Attr> excl = new java.util.LinkedHashMap<>(base);
    excl.putAll(attrs("count_include_pad", false));
    assertArrayEquals(fl(1, 2.5, 5.5, 7), run1(NnOps.AVG_POOL2D, excl, x).toFloatArray());
    Map<String, dev.kiln.ir.Attr> div = new java.util.LinkedHashMap<>(base);
    div.putAll(attrs("divisor_override", 2L));
    assertArrayEquals(fl(0.5, 2.5, 5.5, 14), run1(NnOps.AVG_POOL2D, div, x).toFloatArray());
    Tensor ceil = run1(NnOps.AVG_POOL2D, attrs("kernel_size", new long[] {2, 2}, "stride", new long[] {2, 2}, "ceil_mode", true), x);
    // the last window hangs over the edge: its divisor is clipped to the padded input (no padding here, so 1 or 2)
    assertArrayEquals(fl(3, 4.5, 7.5, 9), ceil.toFloatArray());
  }

  @Test
  void adaptiveAvgPoolUsesOverlappingWindows() {
    Tensor x = iota(5, 1, 1, 1, 5);
    // windows of 5 into 3: [0,2), [1,4), [3,5)
    Tensor y = run1(NnOps.ADAPTIVE_AVG_POOL2D, attrs("output_size", new long[] {1, 3}), x);
    assertArrayEquals(fl(1.5, 3, 4.5), y.toFloatArray());
    assertArrayEquals(fl(3), run1(NnOps.ADAPTIVE_AVG_POOL2D, attrs("output_size", new long[] {1, 1}), x).toFloatArray());
  }

  @Test
  void batchNormUsesRunningStatistics() {
    Tensor x = f(fl(1, 2, 3, 4), 1, 2, 2, 1);
    Tensor y = run1(NnOps.BATCH_NORM, attrs("eps", 0.0), x, f(fl(1, 3), 2), f(fl(4, 1), 2), f(fl(2, 1), 2), f(fl(0, 10), 2));
    assertArrayEquals(fl(0, 1, 10, 11), y.toFloatArray(), 1e-6f);
  }

  @Test
  void layerNormNormalizesTrailingDims() {
    Tensor x = f(fl(1, 2, 3, 4, 10, 10, 12, 12), 2, 4);
    Tensor y = run1(NnOps.LAYER_NORM, attrs("normalized_shape", new long[] {4}, "eps", 0.0), x);
    double s = Math.sqrt(1.25);
    assertArrayEquals(fl(-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s, -1, -1, 1, 1), y.toFloatArray(), 1e-6f);
    Tensor yw = run1(NnOps.LAYER_NORM, attrs("normalized_shape", new long[] {4}, "eps", 0.0), x, f(fl(2, 2, 2, 2), 4), f(fl(1, 1, 1, 1), 4));
    assertEquals(1 - 3 / s, yw.toFloatArray()[0], 1e-6);
  }

  @Test
  void softmaxRowsSumToOneAndStayStableForLargeInputs() {
    Tensor x = f(fl(1, 2, 3, 1000, 1001, 1002), 2, 3);
    float[] p = run1(NnOps.SOFTMAX, attrs("dim", -1L), x).toFloatArray();
    for (int row = 0; row < 2; row++) assertEquals(1, p[3 * row] + p[3 * row + 1] + p[3 * row + 2], 1e-6);
    double e = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertEquals(Math.exp(1) / e, p[0], 1e-7);
    assertEquals(p[0], p[3], 1e-7);
    float[] col = run1(NnOps.SOFTMAX, attrs("dim", 0L), f(fl(0, 0, 0, Math.log(3)), 2, 2)).toFloatArray();
    assertArrayEquals(fl(0.5, 0.25, 0.5, 0.75), col, 1e-6f);
    float[] lp = run1(NnOps.LOG_SOFTMAX, attrs("dim", 1L), x).toFloatArray();
    assertEquals(Math.log(Math.exp(3) / e), lp[2], 1e-6);
    assertEquals(lp[2], lp[5], 1e-6);
  }

  @Test
  void embeddingPicksRows() {
    Tensor w = f(fl(0, 0, 1, 1, 2, 2), 3, 2);
    Tensor y = run1(NnOps.EMBEDDING, Map.of(), w, Tensor.fromLongs(new long[] {2, 0, 1, 2}, 2, 2));
    assertArrayEquals(new long[] {2, 2, 2}, y.shape());
    assertArrayEquals(fl(2, 2, 0, 0, 1, 1, 2, 2), y.toFloatArray());
  }
}
