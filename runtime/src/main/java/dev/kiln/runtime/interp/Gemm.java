package dev.kiln.runtime.interp;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major matrix products {@code C[M,N] = A[M,K] * B[K,N]} (or {@code C += ...}), shared by conv2d (through
 * im2col), linear and matmul. The float version is cache-blocked over K (a panel of B stays in L1 while every row
 * of A streams past it) and register-blocked: a 4-row by 2-vector tile of C lives in registers and takes one fused
 * multiply-add per B vector and A element. Columns are split across the kernel pool when N is large, rows otherwise.
 */
final class Gemm {
  private Gemm() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int KC = 256;

  /**
   * {@code C[i*ldc + j] (+)= sum_k A[i*lda + k] * B[k*ldb + j]} for i < m, j < n, each array read from its offset.
   * When {@code accumulate} is false C is overwritten.
   */
  static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (m == 0 || n == 0) return;
    long work = (long) m * n * k;
    if (work > 1 << 24 && !warm) warmUp();
    if (work < 1 << 16) {
      block(0, m, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
    } else if (n >= 4 * L * 4) {
      int tiles = Math.ceilDiv(n, 2 * L);
      Parallel.forRange(tiles, 4, (t0, t1) -> block(0, m, t0 * 2 * L, Math.min(n, t1 * 2 * L), k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate));
    } else {
      Parallel.forRange(m, 8, (i0, i1) -> block(i0, i1, 0, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate));
    }
  }

  /** Set once the vector tiles have been compiled; only ever goes from false to true, so races are harmless. */
  private static volatile boolean warm;

  /**
   * Before C2 compiles them, Vector API tiles run boxed and some hundred times slower; a first large product would
   * spend seconds there. Many small products on one thread get the tiles compiled in well under a second first.
   */
  private static void warmUp() {
    float[] a = new float[16 * 64], b = new float[64 * 4 * L], c = new float[16 * 4 * L];
    for (int r = 0; r < 1500; r++) block(0, 16, 0, 4 * L, 64, a, 0, 64, b, 0, 4 * L, c, 0, 4 * L, false);
    warm = true;
  }

  private static void block(int i0, int i1, int j0, int j1, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc, boolean accumulate) {
    if (!accumulate) for (int i = i0; i < i1; i++) java.util.Arrays.fill(c, cOff + i * ldc + j0, cOff + i * ldc + j1, 0f);
    for (int k0 = 0; k0 < k; k0 += KC) {
      int k1 = Math.min(k, k0 + KC);
      int j = j0;
      for (; j + 2 * L <= j1; j += 2 * L) {
        int i = i0;
        for (; i + 4 <= i1; i += 4) tile4x2(i, j, k0, k1, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
        for (; i < i1; i++) tile1x2(i, j, k0, k1, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
      }
      if (j < j1) for (int i = i0; i < i1; i++) tail(i, j, j1, k0, k1, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
  }

  private static void tile4x2(int i, int j, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int c0 = cOff + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    FloatVector s00 = FloatVector.fromArray(S, c, c0), s01 = FloatVector.fromArray(S, c, c0 + L);
    FloatVector s10 = FloatVector.fromArray(S, c, c1), s11 = FloatVector.fromArray(S, c, c1 + L);
    FloatVector s20 = FloatVector.fromArray(S, c, c2), s21 = FloatVector.fromArray(S, c, c2 + L);
    FloatVector s30 = FloatVector.fromArray(S, c, c3), s31 = FloatVector.fromArray(S, c, c3 + L);
    int a0 = aOff + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (int kk = k0; kk < k1; kk++) {
      int bi = bOff + kk * ldb + j;
      FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + L);
      FloatVector v = FloatVector.broadcast(S, a[a0 + kk]);
      s00 = b0.fma(v, s00);
      s01 = b1.fma(v, s01);
      v = FloatVector.broadcast(S, a[a1 + kk]);
      s10 = b0.fma(v, s10);
      s11 = b1.fma(v, s11);
      v = FloatVector.broadcast(S, a[a2 + kk]);
      s20 = b0.fma(v, s20);
      s21 = b1.fma(v, s21);
      v = FloatVector.broadcast(S, a[a3 + kk]);
      s30 = b0.fma(v, s30);
      s31 = b1.fma(v, s31);
    }
    s00.intoArray(c, c0);
    s01.intoArray(c, c0 + L);
    s10.intoArray(c, c1);
    s11.intoArray(c, c1 + L);
    s20.intoArray(c, c2);
    s21.intoArray(c, c2 + L);
    s30.intoArray(c, c3);
    s31.intoArray(c, c3 + L);
  }

  private static void tile1x2(int i, int j, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int c0 = cOff + i * ldc + j, a0 = aOff + i * lda;
    FloatVector s0 = FloatVector.fromArray(S, c, c0), s1 = FloatVector.fromArray(S, c, c0 + L);
    for (int kk = k0; kk < k1; kk++) {
      int bi = bOff + kk * ldb + j;
      FloatVector v = FloatVector.broadcast(S, a[a0 + kk]);
      s0 = FloatVector.fromArray(S, b, bi).fma(v, s0);
      s1 = FloatVector.fromArray(S, b, bi + L).fma(v, s1);
    }
    s0.intoArray(c, c0);
    s1.intoArray(c, c0 + L);
  }

  /** Columns [j, j1) that do not fill a 2-vector tile: scalar, k outer so the inner loop runs along a row. */
  private static void tail(int i, int j, int j1, int k0, int k1, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float[] c, int cOff, int ldc) {
    int ci = cOff + i * ldc;
    for (int kk = k0; kk < k1; kk++) {
      float av = a[aOff + i * lda + kk];
      int bi = bOff + kk * ldb;
      for (int jj = j; jj < j1; jj++) c[ci + jj] += av * b[bi + jj];
    }
  }

  /** The double version for f64 models: plain i-k-j loops (the inner loop runs along rows of B and C). */
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
