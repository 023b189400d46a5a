package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.kernels.Conv2d;
import dev.kiln.runtime.kernels.ConvParams;

/**
 * conv2d. f32, f16 and bf16 compute in float through the tuned {@link Conv2d} kernel. f64 computes in double here:
 * for each image and group the input patches are laid out as a matrix
 * {@code col[(c*kh + ky)*kw + kx, oy*OW + ox] = x[c, oy*sh - ph + ky*dh, ox*sw - pw + kx*dw]} (0 outside), so that
 * {@code out[o, :] = W[o, :] @ col} with W viewed as [O/groups, C/groups*kh*kw].
 */
final class ConvKernels {
  private ConvKernels() {}

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
    ConvParams g = new ConvParams((int) x.size(0), c, h, wd, o, kh, kw, (int) st[0], (int) st[1], (int) pad[0], (int) pad[1],
        (int) dil[0], (int) dil[1], groups, (int) oh, (int) ow);
    long[] shape = {g.n(), o, oh, ow};
    if (x.dtype() == DType.F64) return Tensor.fromDoubles(convDouble(g, x.toDoubleArray(), w.toDoubleArray(), bias == null ? null : bias.toDoubleArray()), shape);
    float[] y = convFloat(g, x.to(DType.F32).floatData(), w.to(DType.F32).floatData(), bias == null ? null : bias.to(DType.F32).floatData());
    return Tensor.wrapFloats(y, shape).to(x.dtype());
  }

  static float[] convFloat(ConvParams p, float[] x, float[] w, float[] bias) {
    float[] y = new float[Math.toIntExact(p.outputSize())];
    Conv2d.run(p, x, 0, w, bias, y, 0);
    return y;
  }

  static double[] convDouble(ConvParams g, double[] x, double[] w, double[] bias) {
    int plane = g.plane(), k = g.kdim(), og = g.og();
    double[] y = new double[g.n() * g.oc() * plane];
    double[] col = new double[k * plane];
    for (int n = 0; n < g.n(); n++)
      for (int gr = 0; gr < g.groups(); gr++) {
        int xOff = (n * g.c() + gr * g.cg()) * g.h() * g.w();
        for (int c = 0; c < g.cg(); c++)
          for (int ky = 0; ky < g.kh(); ky++)
            for (int kx = 0; kx < g.kw(); kx++)
              for (int oy = 0; oy < g.oh(); oy++)
                for (int ox = 0; ox < g.ow(); ox++) {
                  int iy = oy * g.strideH() - g.padH() + ky * g.dilH(), ix = ox * g.strideW() - g.padW() + kx * g.dilW();
                  boolean in = iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                  col[((c * g.kh() + ky) * g.kw() + kx) * plane + oy * g.ow() + ox] = in ? x[xOff + (c * g.h() + iy) * g.w() + ix] : 0;
                }
        Gemm.dgemm(og, plane, k, w, gr * og * k, k, col, 0, plane, y, (n * g.oc() + gr * og) * plane, plane, false);
        if (bias != null)
          for (int oc = gr * og; oc < (gr + 1) * og; oc++)
            for (int i = 0; i < plane; i++) y[(n * g.oc() + oc) * plane + i] += bias[oc];
      }
    return y;
  }
}
