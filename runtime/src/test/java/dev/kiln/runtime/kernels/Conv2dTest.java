package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Conv2d} in both layouts against the naive definition, over the shapes convnets use and odd ones. */
class Conv2dTest {
  @AfterEach
  void restoreThreads() { Threads.setThreads(Runtime.getRuntime().availableProcessors()); }

  /** n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups */
  static final int[][] CASES = {
      {1, 3, 9, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},      // 3x3 same padding
      {2, 3, 17, 15, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1},     // ResNet stem shape, stride 2
      {2, 16, 6, 7, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1},     // pointwise
      {1, 16, 6, 7, 12, 1, 1, 1, 1, 0, 0, 1, 1, 4},     // grouped pointwise
      {1, 6, 9, 9, 4, 1, 1, 2, 2, 0, 0, 1, 1, 1},       // 1x1 stride 2 (downsample shortcut)
      {1, 4, 12, 10, 6, 3, 3, 1, 2, 2, 1, 2, 3, 2},     // dilation, uneven stride and padding, groups
      {3, 8, 10, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8},      // depthwise
      {1, 20, 11, 37, 20, 3, 3, 2, 2, 1, 1, 1, 1, 20},  // depthwise stride 2, wide rows (vector + gather + tail)
      {1, 17, 8, 8, 17, 5, 5, 1, 1, 2, 2, 2, 2, 17},    // depthwise 5x5 dilated
      {1, 4, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4},       // channel multiplier 2 (grouped, not depthwise)
      {1, 2, 5, 5, 3, 5, 5, 1, 1, 0, 0, 1, 1, 1},       // kernel as large as the input: 1x1 output
      {2, 37, 13, 13, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // channel counts off the tile sizes
      {2, 48, 9, 14, 48, 3, 3, 1, 1, 1, 1, 1, 1, 48},   // depthwise 3x3 rows (DepthwiseRow): quads, single pixels, edges
      {1, 35, 12, 15, 35, 3, 3, 2, 2, 1, 1, 1, 1, 35},  // depthwise 3x3 stride 2 rows, channel tail
      {1, 32, 7, 9, 32, 3, 3, 1, 2, 0, 2, 1, 1, 32},    // depthwise 3x3: no padding along h, two columns along w
  };

  static ConvParams params(int[] a) {
    return ConvParams.of(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
  }

  static float[] random(Random r, long len) {
    float[] x = new float[(int) len];
    for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }

  static void assertClose(double[] want, float[] got, int off, String what) {
    for (int i = 0; i < want.length; i++)
      if (!(Math.abs(got[off + i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])))) fail(what + ": element " + i + " = " + got[off + i] + ", expected " + want[i]);
  }

  @Test
  void nchwMatchesDefinition() {
    long seed = 1;
    for (int[] a : CASES) {
      ConvParams p = params(a);
      Random r = new Random(seed++);
      float[] x = random(r, p.inputSize() + 5), wt = random(r, p.weightSize()), bias = r.nextBoolean() ? random(r, p.oc()) : null;
      float[] y = new float[(int) p.outputSize() + 9];
      y[2] = Float.NaN; // stale contents must be overwritten
      Conv2d.run(p, x, 5, wt, bias, y, 2);
      float[] x0 = java.util.Arrays.copyOfRange(x, 5, x.length);
      assertClose(ConvReference.conv(p, x0, wt, bias), y, 2, p.toString());
    }
  }

  @Test
  void nhwcMatchesNchw() {
    long seed = 50;
    for (int[] a : CASES) {
      ConvParams p = params(a);
      Random r = new Random(seed++);
      float[] x = random(r, p.inputSize()), wt = random(r, p.weightSize()), bias = random(r, p.oc());
      float[] y = new float[(int) p.outputSize()], yh = new float[(int) p.outputSize() + 3];
      Conv2d.run(p, x, 0, wt, bias, y, 0);
      Conv2d.runNhwc(p, ConvReference.toLast(x, p.n(), p.c(), p.h(), p.w()), 0,
          ConvReference.toLast(wt, p.oc(), p.cg(), p.kh(), p.kw()), bias, yh, 3);
      float[] back = java.util.Arrays.copyOfRange(yh, 3, yh.length), want = ConvReference.toLast(y, p.n(), p.oc(), p.oh(), p.ow());
      if (p.depthwise()) assertArrayEquals(want, back, "depthwise NHWC must equal NCHW bit for bit: " + p);
      else {
        double[] wd = new double[want.length];
        for (int i = 0; i < wd.length; i++) wd[i] = want[i];
        assertClose(wd, back, 0, "NHWC " + p);
      }
    }
  }

  @Test
  void threadCountDoesNotChangeBits() {
    int[][] big = {{4, 16, 20, 20, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {1, 32, 40, 40, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1},
        {2, 64, 30, 30, 64, 3, 3, 1, 1, 1, 1, 1, 1, 64}, {2, 64, 20, 20, 96, 1, 1, 1, 1, 0, 0, 1, 1, 1}};
    for (int[] a : big) {
      ConvParams p = params(a);
      Random r = new Random(7);
      float[] x = random(r, p.inputSize()), wt = random(r, p.weightSize()), bias = random(r, p.oc());
      float[] xh = ConvReference.toLast(x, p.n(), p.c(), p.h(), p.w()), wh = ConvReference.toLast(wt, p.oc(), p.cg(), p.kh(), p.kw());
      float[][] ref = new float[2][];
      for (int t : new int[] {1, 2, 3}) {
        Threads.setThreads(t);
        float[] y = new float[(int) p.outputSize()], yh = new float[(int) p.outputSize()];
        Conv2d.run(p, x, 0, wt, bias, y, 0);
        Conv2d.runNhwc(p, xh, 0, wh, bias, yh, 0);
        if (ref[0] == null) {
          ref[0] = y;
          ref[1] = yh;
        } else {
          assertArrayEquals(ref[0], y, "NCHW with " + t + " threads: " + p);
          assertArrayEquals(ref[1], yh, "NHWC with " + t + " threads: " + p);
        }
      }
    }
  }

  @Test
  void badGeometryIsRejected() {
    var e = assertThrows(IllegalArgumentException.class, () -> new ConvParams(1, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, 8, 8));
    assertEquals(true, e.getMessage().contains("expected 6x6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConvParams.of(1, 3, 8, 8, 4, 3, 3, 1, 1, 0, 0, 1, 1, 2));
    ConvParams p = ConvParams.of(1, 2, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    var short_ = assertThrows(IllegalArgumentException.class, () -> Conv2d.run(p, new float[10], 0, new float[36], null, new float[32], 0));
    assertEquals(true, short_.getMessage().contains("input needs 32"), short_.getMessage());
  }
}
