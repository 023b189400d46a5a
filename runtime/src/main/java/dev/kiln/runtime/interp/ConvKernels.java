package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;

/**
 * conv2d as im2col plus {@link Gemm}: for each image and group, the input patches are laid out as a matrix
 * {@code col[(c*kh + ky)*kw + kx, oy*OW + ox] = x[c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]} (0 outside), so that
 * {@code out[o, :] = W[o, :] @ col} with W viewed as [O/groups, C/groups*kh*kw]. A 1x1 convolution with stride 1
 * and no padding uses the input itself as col. f64 computes in double, other float dtypes in float.
 */
final class ConvKernels {
  private ConvKernels() {}

  record Geometry(int n, int c, int h, int w, int o, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
      int groups, int oh, int ow) {
    int cg() { return c / groups; }
    int og() { return o / groups; }
    int kdim() { return cg() * kh * kw; }
    int plane() { return oh * ow; }
    boolean direct() { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
  }

  static long[] pair(KernelArgs a, String name) {
    long[] v = a.attrInts(name);
    if (v.length == 1) return new long[] {v[0], v[0]};
    if (v.length != 2) throw a.fail("attribute '" + name + "' needs 2 values, got " + Tensor.dims(v));
    return v;
  }

  static Object conv2d(KernelArgs a) {
    Tensor x = a.tensor(0), w = a.tensor(1), bias = a.optTensor(2);
    if (x.rank() != 4 || w.rank() != 4) throw a.fail("expects x [N,C,H,W] and weight [O,C/groups,kh,kw], got " + Values.describe(x) + " and " + Values.describe(w));
    long[] st = pair(a, "stride"), pad = pair(a, "padding"), dil = pair(a, "dilation");
    int groups = Math.toIntExact(a.attrInt("groups"));
    int c = (int) x.size(1), o = (int) w.size(0), kh = (int) w.size(2), kw = (int) w.size(3);
    if (groups <= 0 || c % groups != 0 || o % groups != 0 || w.size(1) * groups != c)
      throw a.fail("input " + Values.describe(x) + " with groups=" + groups + " does not fit weight " + Values.describe(w));
    int h = (int) x.size(2), wd = (int) x.size(3);
    long oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / st[0] + 1, ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) / st[1] + 1;
    if (oh <= 0 || ow <= 0 || h + 2 * pad[0] < dil[0] * (kh - 1) + 1 || wd + 2 * pad[1] < dil[1] * (kw - 1) + 1)
      throw a.fail("kernel " + Tensor.dims(w.shape()) + " does not fit input " + Values.describe(x));
    if (bias != null && (bias.rank() != 1 || bias.size(0) != o)) throw a.fail("bias " + Values.describe(bias) + " does not match " + o + " output channels");
    Geometry g = new Geometry((int) x.size(0), c, h, wd, o, kh, kw, (int) st[0], (int) st[1], (int) pad[0], (int) pad[1],
        (int) dil[0], (int) dil[1], groups, (int) oh, (int) ow);
    long[] shape = {g.n(), o, oh, ow};
    if (x.dtype() == DType.F64) return Tensor.fromDoubles(convDouble(g, x.toDoubleArray(), w.toDoubleArray(), bias == null ? null : bias.toDoubleArray()), shape);
    float[] y = convFloat(g, x.to(DType.F32).floatData(), w.to(DType.F32).floatData(), bias == null ? null : bias.to(DType.F32).floatData());
    return Tensor.wrapFloats(y, shape).to(x.dtype());
  }

  static float[] convFloat(Geometry g, float[] x, float[] w, float[] bias) {
    int plane = g.plane(), k = g.kdim(), og = g.og();
    float[] y = new float[g.n() * g.o() * plane];
    float[] col = g.direct() ? null : new float[k * plane];
    for (int n = 0; n < g.n(); n++) {
      for (int gr = 0; gr < g.groups(); gr++) {
        int xOff = (n * g.c() + gr * g.cg()) * g.h() * g.w();
        float[] b = x;
        int bOff = xOff;
        if (col != null) {
          im2col(g, x, xOff, col);
          b = col;
          bOff = 0;
        }
        Gemm.sgemm(og, plane, k, w, gr * og * k, k, b, bOff, plane, y, (n * g.o() + gr * og) * plane, plane, false);
      }
      if (bias != null)
        for (int oc = 0; oc < g.o(); oc++) {
          int off = (n * g.o() + oc) * plane;
          float bv = bias[oc];
          for (int i = 0; i < plane; i++) y[off + i] += bv;
        }
    }
    return y;
  }

  private static void im2col(Geometry g, float[] x, int xOff, float[] col) {
    int ow = g.ow(), oh = g.oh();
    for (int c = 0; c < g.cg(); c++)
      for (int ky = 0; ky < g.kh(); ky++)
        for (int kx = 0; kx < g.kw(); kx++) {
          int row = ((c * g.kh() + ky) * g.kw() + kx) * oh * ow;
          int chan = xOff + c * g.h() * g.w();
          for (int oy = 0; oy < oh; oy++) {
            int iy = oy * g.sh() - g.ph() + ky * g.dh();
            int dst = row + oy * ow;
            if (iy < 0 || iy >= g.h()) {
              java.util.Arrays.fill(col, dst, dst + ow, 0f);
              continue;
            }
            int src = chan + iy * g.w();
            int ix0 = -g.pw() + kx * g.dw();
            if (g.sw() == 1 && ix0 >= 0 && ix0 + ow <= g.w()) {
              System.arraycopy(x, src + ix0, col, dst, ow);
              continue;
            }
            for (int ox = 0; ox < ow; ox++) {
              int ix = ox * g.sw() + ix0;
              col[dst + ox] = ix >= 0 && ix < g.w() ? x[src + ix] : 0f;
            }
          }
        }
  }

  static double[] convDouble(Geometry g, double[] x, double[] w, double[] bias) {
    int plane = g.plane(), k = g.kdim(), og = g.og();
    double[] y = new double[g.n() * g.o() * plane];
    double[] col = new double[k * plane];
    for (int n = 0; n < g.n(); n++)
      for (int gr = 0; gr < g.groups(); gr++) {
        int xOff = (n * g.c() + gr * g.cg()) * g.h() * g.w();
        for (int c = 0; c < g.cg(); c++)
          for (int ky = 0; ky < g.kh(); ky++)
            for (int kx = 0; kx < g.kw(); kx++)
              for (int oy = 0; oy < g.oh(); oy++)
                for (int ox = 0; ox < g.ow(); ox++) {
                  int iy = oy * g.sh() - g.ph() + ky * g.dh(), ix = ox * g.sw() - g.pw() + kx * g.dw();
                  boolean in = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                  col[((c * g.kh() + ky) * g.kw() + kx) * plane + oy * g.ow() + ox] = in ? x[xOff + (c * g.h() + iy) * g.w() + ix] : 0;
                }
        Gemm.dgemm(og, plane, k, w, gr * og * k, k, col, 0, plane, y, (n * g.o() + gr * og) * plane, plane, false);
        if (bias != null)
          for (int oc = gr * og; oc < (gr + 1) * og; oc++)
            for (int i = 0; i < plane; i++) y[(n * g.o() + oc) * plane + i] += bias[oc];
      }
    return y;
  }
}
