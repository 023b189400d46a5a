package dev.kiln.runtime.kernels;

import java.util.Arrays;

/**
 * Lays out the input patches of one image and group as a matrix, so a convolution becomes one {@link Gemm}:
 * NCHW gives {@code col[(ci*kh + ky)*kw + kx][oy*ow + ox]} (kdim x plane, pairs with weight [og][kdim] as A), NHWC
 * gives {@code col[oy*ow + ox][(ky*kw + kx)*cg + ci]} (plane x kdim, pairs with weight [og][kdim] as B^T). Zero
 * outside the input (the padding).
 */
final class Im2col {
  private Im2col() {}

  /** NCHW: the channels [g*cg, (g+1)*cg) of the image at {@code x[xImg]} into col (kdim * plane floats). */
  static void nchw(ConvParams p, float[] x, int xImg, int g, float[] col) {
    int cg = p.cg(), plane = p.plane(), hw = p.h() * p.w();
    Threads.TaskBody channel = ci -> {
      int chan = xImg + (g * cg + ci) * hw;
      for (int ky = 0; ky < p.kh(); ky++)
        for (int kx = 0; kx < p.kw(); kx++) rowNchw(p, x, chan, ky, kx, col, ((ci * p.kh() + ky) * p.kw() + kx) * plane);
    };
    if ((long) p.kdim() * plane < 1 << 18) for (int ci = 0; ci < cg; ci++) channel.run(ci);
    else Threads.forEach(cg, channel);
  }

  /** One row of col: input channel plane at {@code x[chan]} sampled at kernel offset (ky, kx) for every output pixel. */
  private static void rowNchw(ConvParams p, float[] x, int chan, int ky, int kx, float[] col, int dst) {
    int ow = p.ow(), w = p.w(), sw = p.strideW();
    int ix0 = kx * p.dilW() - p.padW();
    // Output columns whose input column ox*sw + ix0 lies inside [0, w).
    int lo = Math.min(ow, Math.max(0, Math.ceilDiv(-ix0, sw))), hi = Math.max(lo, Math.min(ow, Math.floorDiv(w - 1 - ix0, sw) + 1));
    for (int oy = 0; oy < p.oh(); oy++, dst += ow) {
      int iy = oy * p.strideH() - p.padH() + ky * p.dilH();
      if (iy < 0 || iy >= p.h()) {
        Arrays.fill(col, dst, dst + ow, 0f);
        continue;
      }
      int src = chan + iy * w + ix0;
      Arrays.fill(col, dst, dst + lo, 0f);
      if (sw == 1) System.arraycopy(x, src + lo, col, dst + lo, hi - lo);
      else for (int ox = lo; ox < hi; ox++) col[dst + ox] = x[src + ox * sw];
      Arrays.fill(col, dst + hi, dst + ow, 0f);
    }
  }

  /** NHWC: the channels [g*cg, (g+1)*cg) of the image at {@code x[xImg]} into col (plane * kdim floats). */
  static void nhwc(ConvParams p, float[] x, int xImg, int g, float[] col) {
    int cg = p.cg(), kdim = p.kdim(), ow = p.ow();
    Threads.TaskBody outRow = oy -> {
      for (int ox = 0; ox < ow; ox++) {
        int dst = (oy * ow + ox) * kdim;
        for (int ky = 0; ky < p.kh(); ky++) {
          int iy = oy * p.strideH() - p.padH() + ky * p.dilH();
          for (int kx = 0; kx < p.kw(); kx++, dst += cg) {
            int ix = ox * p.strideW() - p.padW() + kx * p.dilW();
            if (iy < 0 || iy >= p.h() || ix < 0 || ix >= p.w()) Arrays.fill(col, dst, dst + cg, 0f);
            else System.arraycopy(x, xImg + (iy * p.w() + ix) * p.c() + g * cg, col, dst, cg);
          }
        }
      }
    };
    if ((long) kdim * p.plane() < 1 << 18) for (int oy = 0; oy < p.oh(); oy++) outRow.run(oy);
    else Threads.forEach(p.oh(), outRow);
  }
}
