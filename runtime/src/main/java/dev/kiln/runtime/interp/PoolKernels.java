package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.kernels.Pool2d;
import dev.kiln.runtime.kernels.PoolParams;

/**
 * max_pool2d, avg_pool2d and adaptive_avg_pool2d over the last two dims of [N,C,H,W] or [C,H,W] (PyTorch semantics).
 * Float dtypes of max and avg pooling run the tuned {@link Pool2d}; the double loops here serve f64.
 */
final class PoolKernels {
  private PoolKernels() {}

  /** PyTorch's pooling output size; with ceil_mode the last window must start inside the input or left padding. */
  static long outSize(long in, long k, long s, long p, long d, boolean ceil) {
    long span = in + 2 * p - d * (k - 1) - 1;
    if (span < 0) return 0;
    long out = (ceil ? Math.ceilDiv(span, s) : Math.floorDiv(span, s)) + 1;
    if (ceil && (out - 1) * s >= in + p) out--;
    return out;
  }

  private record Window(int planes, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow,
      long[] outShape) {
    /** All planes as one image's channels, for the tuned float kernels. */
    PoolParams params() { return new PoolParams(1, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow); }
  }

  /** f32, f16 and bf16 run the float kernels of {@link Pool2d}; f64 and empty inputs stay on the double loops here. */
  private static boolean useFloatKernel(Tensor x, Window g) {
    return LinalgKernels.floatCompute(x.dtype()) && g.planes() > 0;
  }

  private static Window window(KernelArgs a, Tensor x, boolean max) {
    if (x.rank() != 4 && x.rank() != 3) throw a.fail("input must be [N,C,H,W] or [C,H,W], got " + Values.describe(x));
    long[] k = ConvKernels.pair(a, "kernel_size");
    long[] s = a.attrIsNone("stride") || a.attrInts("stride").length == 0 ? k : ConvKernels.pair(a, "stride");
    long[] p = ConvKernels.pair(a, "padding");
    long[] d = max ? ConvKernels.pair(a, "dilation") : new long[] {1, 1};
    boolean ceil = a.attrBool("ceil_mode");
    for (int i = 0; i < 2; i++) if (p[i] * 2 > k[i]) throw a.fail("padding " + p[i] + " must be at most half of kernel_size " + k[i]);
    int r = x.rank();
    long h = x.size(r - 2), w = x.size(r - 1);
    long oh = outSize(h, k[0], s[0], p[0], d[0], ceil), ow = outSize(w, k[1], s[1], p[1], d[1], ceil);
    if (oh <= 0 || ow <= 0) throw a.fail("window " + Tensor.dims(k) + " does not fit " + Values.describe(x));
    long[] shape = x.shape();
    shape[r - 2] = oh;
    shape[r - 1] = ow;
    return new Window((int) (x.numel() / (h * w)), (int) h, (int) w, (int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) p[0], (int) p[1],
        (int) d[0], (int) d[1], (int) oh, (int) ow, shape);
  }

  /** Max over each window; padding counts as -inf; a NaN in a window gives NaN. */
  static Object maxPool2d(KernelArgs a) {
    Tensor x = a.tensor(0);
    Window g = window(a, x, true);
    if (useFloatKernel(x, g)) {
      float[] out = new float[g.planes() * g.oh() * g.ow()];
      Pool2d.max(g.params(), x.to(DType.F32).floatData(), 0, out, 0);
      return Tensor.wrapFloats(out, g.outShape()).to(x.dtype());
    }
    double[] in = x.toDoubleArray(), out = new double[g.planes() * g.oh() * g.ow()];
    for (int pl = 0; pl < g.planes(); pl++)
      for (int oy = 0; oy < g.oh(); oy++)
        for (int ox = 0; ox < g.ow(); ox++) {
          double m = Double.NEGATIVE_INFINITY;
          for (int ky = 0; ky < g.kh(); ky++) {
            int iy = oy * g.sh() - g.ph() + ky * g.dh();
            if (iy < 0 || iy >= g.h()) continue;
            for (int kx = 0; kx < g.kw(); kx++) {
              int ix = ox * g.sw() - g.pw() + kx * g.dw();
              if (ix < 0 || ix >= g.w()) continue;
              double v = in[(pl * g.h() + iy) * g.w() + ix];
              if (v > m || v != v) m = v;
              if (m != m) break;
            }
          }
          out[(pl * g.oh() + oy) * g.ow() + ox] = m;
        }
    return Tensor.ofDoubles(x.dtype(), out, g.outShape());
  }

  /**
   * Mean over each window. The window spans [oy*s - p, min(oy*s - p + k, H + p)); its size with padding is the
   * divisor when count_include_pad, its size clipped to the input otherwise; divisor_override replaces both.
   */
  static Object avgPool2d(KernelArgs a) {
    Tensor x = a.tensor(0);
    Window g = window(a, x, false);
    boolean includePad = a.attrBool("count_include_pad");
    long override = a.attrIsNone("divisor_override") ? 0 : a.attrInt("divisor_override");
    if (useFloatKernel(x, g)) {
      float[] out = new float[g.planes() * g.oh() * g.ow()];
      Pool2d.avg(g.params(), includePad, Math.toIntExact(override), x.to(DType.F32).floatData(), 0, out, 0);
      return Tensor.wrapFloats(out, g.outShape()).to(x.dtype());
    }
    double[] in = x.toDoubleArray(), out = new double[g.planes() * g.oh() * g.ow()];
    for (int pl = 0; pl < g.planes(); pl++)
      for (int oy = 0; oy < g.oh(); oy++)
        for (int ox = 0; ox < g.ow(); ox++) {
          int y0 = oy * g.sh() - g.ph(), x0 = ox * g.sw() - g.pw();
          int y1 = Math.min(y0 + g.kh(), g.h() + g.ph()), x1 = Math.min(x0 + g.kw(), g.w() + g.pw());
          int padded = (y1 - y0) * (x1 - x0);
          y0 = Math.max(y0, 0);
          x0 = Math.max(x0, 0);
          y1 = Math.min(y1, g.h());
          x1 = Math.min(x1, g.w());
          double sum = 0;
          for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) sum += in[(pl * g.h() + iy) * g.w() + ix];
          double div = override != 0 ? override : includePad ? padded : (y1 - y0) * (x1 - x0);
          out[(pl * g.oh() + oy) * g.ow() + ox] = sum / div;
        }
    return Tensor.ofDoubles(x.dtype(), out, g.outShape());
  }

  /** Output cell i averages input rows [floor(i*H/o), ceil((i+1)*H/o)), and likewise for columns. */
  static Object adaptiveAvgPool2d(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (x.rank() != 4 && x.rank() != 3) throw a.fail("input must be [N,C,H,W] or [C,H,W], got " + Values.describe(x));
    long[] o = ConvKernels.pair(a, "output_size");
    int r = x.rank(), h = (int) x.size(r - 2), w = (int) x.size(r - 1), oh = (int) o[0], ow = (int) o[1];
    if (oh <= 0 || ow <= 0) throw a.fail("output_size must be positive, got " + Tensor.dims(o));
    int planes = (int) (x.numel() / Math.max(1, (long) h * w));
    double[] in = x.toDoubleArray(), out = new double[planes * oh * ow];
    for (int pl = 0; pl < planes; pl++)
      for (int i = 0; i < oh; i++) {
        int y0 = (int) Math.floorDiv((long) i * h, oh), y1 = (int) Math.ceilDiv((long) (i + 1) * h, oh);
        for (int j = 0; j < ow; j++) {
          int x0 = (int) Math.floorDiv((long) j * w, ow), x1 = (int) Math.ceilDiv((long) (j + 1) * w, ow);
          double sum = 0;
          for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) sum += in[(pl * h + iy) * w + ix];
          out[(pl * oh + i) * ow + j] = sum / ((y1 - y0) * (x1 - x0));
        }
      }
    long[] shape = x.shape();
    shape[r - 2] = oh;
    shape[r - 1] = ow;
    return Tensor.ofDoubles(x.dtype(), out, shape);
  }
}
