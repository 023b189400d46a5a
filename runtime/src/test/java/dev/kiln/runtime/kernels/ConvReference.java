package dev.kiln.runtime.kernels;

/** Naive NCHW convolution and layout transposes for the kernel tests. */
final class ConvReference {
  private ConvReference() {}

  /** Direct definition in double: y[n][o][oy][ox] = b[o] + sum over the group's channels and taps. */
  static double[] conv(ConvParams p, float[] x, float[] wt, float[] bias) {
    double[] y = new double[(int) p.outputSize()];
    int cg = p.cg(), og = p.og();
    for (int n = 0; n < p.n(); n++)
      for (int o = 0; o < p.oc(); o++) {
        int g = o / og;
        for (int oy = 0; oy < p.oh(); oy++)
          for (int ox = 0; ox < p.ow(); ox++) {
            double s = bias == null ? 0 : bias[o];
            for (int ci = 0; ci < cg; ci++)
              for (int ky = 0; ky < p.kh(); ky++)
                for (int kx = 0; kx < p.kw(); kx++) {
                  int iy = oy * p.strideH() - p.padH() + ky * p.dilH(), ix = ox * p.strideW() - p.padW() + kx * p.dilW();
                  if (iy < 0 || iy >= p.h() || ix < 0 || ix >= p.w()) continue;
                  s += (double) x[((n * p.c() + g * cg + ci) * p.h() + iy) * p.w() + ix] * wt[((o * cg + ci) * p.kh() + ky) * p.kw() + kx];
                }
            y[((n * p.oc() + o) * p.oh() + oy) * p.ow() + ox] = s;
          }
      }
    return y;
  }

  /** [a][b][c][d] -> [a][c][d][b] (NCHW -> NHWC, or weight [o][i][kh][kw] -> [o][kh][kw][i]). */
  static float[] toLast(float[] x, int a, int b, int c, int d) {
    float[] out = new float[x.length];
    for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) for (int k = 0; k < c; k++) for (int l = 0; l < d; l++)
      out[((i * c + k) * d + l) * b + j] = x[((i * b + j) * c + k) * d + l];
    return out;
  }
}
