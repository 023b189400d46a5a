package dev.kiln.runtime.interp;

/**
 * The interpreter's matrix products: float goes to the tuned {@link dev.kiln.runtime.kernels.Gemm}; the double
 * version (f64 models and integer matmuls) stays a plain loop here, as nothing performance-sensitive uses it.
 */
final class Gemm {
  private Gemm() {}

  /**
   * {@code C[i*ldc + j] (+)= sum_k A[i*lda + k] * B[k*ldb + j]} for i < m, j < n, each array read from its offset.
   * When {@code accumulate} is false C is overwritten.
   */
  static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    dev.kiln.runtime.kernels.Gemm.sgemm(false, false, m, n, k, 1f, a, aOff, lda, b, bOff, ldb, accumulate ? 1f : 0f, c, cOff, ldc);
  }

  /** The double version: plain i-k-j loops (the inner loop runs along rows of B and C). */
  static void dgemm(int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    for (int i = 0; i < m; i++) {
      int ci = cOff + i * ldc;
      if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0);
      for (int kk = 0; kk < k; kk++) {
        double av = a[aOff + i * lda + kk];
        int bi = bOff + kk * ldb;
        for (int j = 0; j < n; j++) c[ci + j] += av * b[bi + j];
      }
    }
  }
}
