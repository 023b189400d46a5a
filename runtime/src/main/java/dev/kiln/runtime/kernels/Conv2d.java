package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * 2-D convolution (cross-correlation, PyTorch's conv2d) in NCHW or NHWC. Depthwise convolutions run a direct kernel
 * ({@link Depthwise}); an NHWC convolution of one group with a prepacked weight is an implicit GEMM that reads its
 * patches in place ({@link ConvNhwc}); everything else is im2col ({@link Im2col}) plus one {@link Gemm} per image
 * and group, where a pointwise (1x1, stride 1, no padding) convolution uses the input itself as the im2col matrix.
 * The output is first filled with the bias and the product added (beta = 1), so there is no second pass over y.
 *
 * <p>With several images and several threads, images go to threads (each then runs its own products serially);
 * otherwise the products split their output tiles over threads. Either way each output element is computed the same
 * way, so results do not depend on the thread count.
 */
public final class Conv2d {
  private Conv2d() {}

  /** -Dkiln.conv.prepack=false makes {@link #prepack} return null (pack per call), to measure what it saves. */
  private static final boolean PREPACK = !"false".equals(System.getProperty("kiln.conv.prepack"));

  /**
   * NCHW: x is [n][c][h][w] from {@code x[xOff]}, weight [oc][c/groups][kh][kw] from index 0, bias [oc] or null,
   * y [n][oc][oh][ow] from {@code y[yOff]} (overwritten). Thread-safe.
   */
  public static void run(ConvParams p, float[] x, int xOff, float[] weight, float[] bias, float[] y, int yOff) {
    run(p, x, xOff, weight, null, bias, y, yOff);
  }

  /**
   * The weight's GEMM operands packed once, one per group, for the overloads of {@link #run} (nhwc false) or
   * {@link #runNhwc} (nhwc true) that take them; null for a depthwise convolution (it does not use GEMM). weight is
   * laid out as those methods expect and must not change afterwards. Also null when -Dkiln.conv.prepack=false.
   */
  public static PackedMatrix[] prepack(ConvParams p, float[] weight, boolean nhwc) {
    if (!PREPACK) return null;
    if (weight.length < p.weightSize())
      throw new IllegalArgumentException("conv weight needs " + p.weightSize() + " floats (oc * c/groups * kh * kw), array has " + weight.length);
    if (p.depthwise()) return null;
    int og = p.og(), kdim = p.kdim();
    PackedMatrix[] packed = new PackedMatrix[p.groups()];
    for (int g = 0; g < packed.length; g++)
      packed[g] = nhwc ? Gemm.prepackB(true, kdim, og, weight, g * og * kdim, kdim) : Gemm.prepackA(false, og, kdim, weight, g * og * kdim, kdim);
    return packed;
  }

  /**
   * {@link #run} with the weight also given packed ({@link #prepack} with nhwc false, or null to pack per call):
   * bit-identical results without repacking the weight each call. Thread-safe.
   */
  public static void run(ConvParams p, float[] x, int xOff, float[] weight, PackedMatrix[] packed, float[] bias, float[] y, int yOff) {
    check(p, x, xOff, weight, bias, y, yOff);
    if (packed != null && packed.length != p.groups())
      throw new IllegalArgumentException("conv packed weight has " + packed.length + " groups, expected " + p.groups());
    if (p.n() == 0) return;
    Warmup.ensure((long) p.n() * p.oc() * p.plane() * p.kdim());
    if (p.depthwise()) {
      Depthwise.nchw(p, x, xOff, weight, bias, y, yOff);
      return;
    }
    int chw = p.c() * p.h() * p.w(), ocPlane = p.oc() * p.plane();
    forImages(p, img -> {
      float[] col = p.pointwise() ? null : new float[p.kdim() * p.plane()];
      imageNchw(p, x, xOff + img * chw, weight, packed, bias, y, yOff + img * ocPlane, col);
    });
  }

  private static void imageNchw(ConvParams p, float[] x, int xImg, float[] weight, PackedMatrix[] packed, float[] bias, float[] y, int yImg,
      float[] col) {
    int plane = p.plane(), kdim = p.kdim(), og = p.og();
    if (bias != null) for (int o = 0; o < p.oc(); o++) Arrays.fill(y, yImg + o * plane, yImg + (o + 1) * plane, bias[o]);
    float beta = bias == null ? 0f : 1f;
    for (int g = 0; g < p.groups(); g++) {
      float[] b = x;
      int bOff = xImg + g * p.cg() * p.h() * p.w();
      if (col != null) {
        Im2col.nchw(p, x, xImg, g, col);
        b = col;
        bOff = 0;
      }
      // y[g] (og x plane) = W[g] (og x kdim) * col (kdim x plane)
      if (packed != null) Gemm.sgemmPackedA(packed[g], false, plane, b, bOff, plane, beta, y, yImg + g * og * plane, plane);
      else Gemm.sgemm(false, false, og, plane, kdim, 1f, weight, g * og * kdim, kdim, b, bOff, plane, beta, y, yImg + g * og * plane, plane);
    }
  }

  /**
   * NHWC: x is [n][h][w][c] from {@code x[xOff]}, weight [oc][kh][kw][c/groups] from index 0, bias [oc] or null,
   * y [n][oh][ow][oc] from {@code y[yOff]} (overwritten). Gives the same values as {@link #run} on the transposed
   * data: bit-identical for depthwise convolutions, otherwise equal up to rounding (the im2col order of the taps,
   * and so the order of the sums, differs). Thread-safe.
   */
  public static void runNhwc(ConvParams p, float[] x, int xOff, float[] weight, float[] bias, float[] y, int yOff) {
    runNhwc(p, x, xOff, weight, null, bias, y, yOff);
  }

  /**
   * {@link #runNhwc} with the weight also given packed ({@link #prepack} with nhwc true, or null to pack per call),
   * so no call repacks it. With one group this takes the implicit GEMM ({@link ConvNhwc}), equal to the unpacked
   * call up to rounding (its sums start at the bias); grouped convolutions give bit-identical results. Thread-safe.
   */
  public static void runNhwc(ConvParams p, float[] x, int xOff, float[] weight, PackedMatrix[] packed, float[] bias, float[] y, int yOff) {
    runNhwc(p, x, xOff, weight, packed, bias, y, yOff, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
  }

  /**
   * {@link #runNhwc} followed by the epilogue {@code y = max(min(y + residual, hi), lo)} on every output element
   * ({@code residual[yOff + i]} beside {@code y[yOff + i]}; residual null for none, lo/hi infinite for no clamp), fused
   * into the convolution: a ReLU is lo = 0, a ReLU6 lo = 0 and hi = 6, a residual block's add + ReLU a residual and
   * lo = 0. residual must not be y's array. With a prepacked weight (one group) this is the implicit GEMM of
   * {@link ConvNhwc}, which materializes no im2col matrix; depthwise convolutions apply the epilogue as they store.
   * Thread-safe.
   */
  public static void runNhwc(ConvParams p, float[] x, int xOff, float[] weight, PackedMatrix[] packed, float[] bias, float[] y, int yOff,
      float[] residual, float lo, float hi) {
    check(p, x, xOff, weight, bias, y, yOff);
    if (packed != null && packed.length != p.groups())
      throw new IllegalArgumentException("conv packed weight has " + packed.length + " groups, expected " + p.groups());
    if (residual != null) {
      if (residual == y) throw new IllegalArgumentException("conv epilogue residual must not be the output array");
      if (residual.length - (long) yOff < p.outputSize())
        throw new IllegalArgumentException("conv residual needs " + p.outputSize() + " floats from offset " + yOff + ", array has " + residual.length);
    }
    if (p.n() == 0) return;
    Warmup.ensure((long) p.n() * p.oc() * p.plane() * p.kdim());
    if (p.depthwise()) {
      Depthwise.nhwc(p, x, xOff, weight, bias, y, yOff, residual, lo, hi);
      return;
    }
    if (ConvNhwc.takes(p, packed)) {
      ConvNhwc.run(p, x, xOff, packed[0], bias, y, yOff, residual, lo, hi);
      return;
    }
    gemmNhwc(p, x, xOff, weight, packed, bias, y, yOff);
    if (residual != null || lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY)
      ConvNhwc.epilogue(y, yOff, (int) p.outputSize(), residual, lo, hi);
  }

  /** The explicit im2col + GEMM path (grouped convolutions, or no prepacked weight). */
  private static void gemmNhwc(ConvParams p, float[] x, int xOff, float[] weight, PackedMatrix[] packed, float[] bias, float[] y, int yOff) {
    int oc = p.oc(), og = p.og(), cg = p.cg(), kdim = p.kdim();
    if (p.pointwise()) {
      // All images at once: y (n*h*w x oc) = x (n*h*w x c) * W^T, one product per group via leading dimensions.
      int rows = p.n() * p.plane();
      fillBias(bias, y, yOff, rows, oc);
      for (int g = 0; g < p.groups(); g++) {
        if (packed != null) Gemm.sgemmPackedB(false, rows, 1f, x, xOff + g * cg, p.c(), packed[g], bias == null ? 0f : 1f, y, yOff + g * og, oc);
        else Gemm.sgemm(false, true, rows, og, cg, 1f, x, xOff + g * cg, p.c(), weight, g * og * cg, cg, bias == null ? 0f : 1f, y, yOff + g * og, oc);
      }
      return;
    }
    int hwc = p.h() * p.w() * p.c(), plane = p.plane();
    forImages(p, img -> {
      float[] col = new float[plane * kdim];
      int yImg = yOff + img * plane * oc;
      fillBias(bias, y, yImg, plane, oc);
      for (int g = 0; g < p.groups(); g++) {
        Im2col.nhwc(p, x, xOff + img * hwc, g, col);
        // y[:, g] (plane x og) = col (plane x kdim) * W[g]^T (kdim x og)
        if (packed != null) Gemm.sgemmPackedB(false, plane, 1f, col, 0, kdim, packed[g], bias == null ? 0f : 1f, y, yImg + g * og, oc);
        else Gemm.sgemm(false, true, plane, og, kdim, 1f, col, 0, kdim, weight, g * og * kdim, kdim, bias == null ? 0f : 1f, y, yImg + g * og, oc);
      }
    });
  }

  /** Images to threads when there are several of each; else one after another (the products then go parallel). */
  private static void forImages(ConvParams p, Threads.TaskBody body) {
    long perImage = (long) p.oc() * p.plane() * p.kdim();
    if (p.n() > 1 && Threads.threads() > 1 && perImage * p.n() >= Gemm.PARALLEL_WORK) Threads.forEach(p.n(), body);
    else for (int img = 0; img < p.n(); img++) body.run(img);
  }

  private static void fillBias(float[] bias, float[] y, int yOff, int rows, int oc) {
    if (bias == null) return;
    for (int r = 0; r < rows; r++) System.arraycopy(bias, 0, y, yOff + r * oc, oc);
  }

  private static void check(ConvParams p, float[] x, int xOff, float[] weight, float[] bias, float[] y, int yOff) {
    if (xOff < 0 || x.length - (long) xOff < p.inputSize())
      throw new IllegalArgumentException("conv input needs " + p.inputSize() + " floats from offset " + xOff + ", array has " + x.length);
    if (weight.length < p.weightSize())
      throw new IllegalArgumentException("conv weight needs " + p.weightSize() + " floats (oc * c/groups * kh * kw), array has " + weight.length);
    if (bias != null && bias.length < p.oc())
      throw new IllegalArgumentException("conv bias needs " + p.oc() + " floats, array has " + bias.length);
    if (yOff < 0 || y.length - (long) yOff < p.outputSize())
      throw new IllegalArgumentException("conv output needs " + p.outputSize() + " floats from offset " + yOff + ", array has " + y.length);
  }
}
