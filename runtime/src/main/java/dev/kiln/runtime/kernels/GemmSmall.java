package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Products with very few rows (a linear layer at batch 1, say): packing B would cost as much as the product and an
 * 8-row tile would be mostly idle, so these read B in place, one or two vectors of C at a time. The path is chosen by
 * shape alone and columns are split over threads, so results still do not depend on the thread count.
 */
final class GemmSmall {
  private GemmSmall() {}

  /** Rows up to this many take this path. */
  static final int MAX_ROWS = 4;

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Columns per task when split over threads. */
  private static final int CHUNK = 16 * L;

  /** Same contract as {@link Gemm#sgemm}, for m <= MAX_ROWS, k > 0 and alpha != 0. */
  static void run(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int offA, int lda,
      float[] b, int offB, int ldb, float beta, float[] c, int offC, int ldc) {
    // op(A) rows made contiguous and scaled by alpha once (at most MAX_ROWS * k floats).
    float[] ar = new float[m * k];
    for (int i = 0; i < m; i++)
      for (int p = 0; p < k; p++) ar[i * k + p] = alpha * (transA ? a[offA + p * lda + i] : a[offA + i * lda + p]);
    int chunks = Math.ceilDiv(n, CHUNK);
    Threads.TaskBody body = t -> {
      int j0 = t * CHUNK, j1 = Math.min(n, j0 + CHUNK);
      for (int i = 0; i < m; i++) {
        if (transB) dots(ar, i * k, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc);
        else axpys(ar, i * k, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc);
      }
    };
    if ((long) n * k * m < Gemm.PARALLEL_WORK) for (int t = 0; t < chunks; t++) body.run(t);
    else Threads.forEach(chunks, body);
  }

  /** {@code c[j] = dot(ar row, b row j) + beta*c[j]} for j in [j0, j1): op(B) column j is row j of b. */
  private static void dots(float[] ar, int aIdx, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx) {
    float[] lanes = new float[L];
    for (int j = j0; j < j1; j++) {
      int bIdx = offB + j * ldb;
      FloatVector s0 = FloatVector.zero(S), s1 = s0;
      int p = 0;
      for (; p + 2 * L <= k; p += 2 * L) {
        s0 = FloatVector.fromArray(S, ar, aIdx + p).fma(FloatVector.fromArray(S, b, bIdx + p), s0);
        s1 = FloatVector.fromArray(S, ar, aIdx + p + L).fma(FloatVector.fromArray(S, b, bIdx + p + L), s1);
      }
      for (; p < k; p += L) {
        VectorMask<Float> msk = S.indexInRange(p, k);
        s0 = FloatVector.fromArray(S, ar, aIdx + p, msk).fma(FloatVector.fromArray(S, b, bIdx + p, msk), s0);
      }
      float v = sumLanes(s0.add(s1), lanes);
      c[cIdx + j] = beta == 0f ? v : v + beta * c[cIdx + j];
    }
  }

  /**
   * The lanes summed left to right. Not {@code reduceLanes(ADD)}: its order differs between the interpreted and the
   * C2-compiled Vector API, so the same call could give different bits before and after warm-up.
   */
  static float sumLanes(FloatVector v, float[] lanes) {
    v.intoArray(lanes, 0);
    float s = 0f;
    for (float x : lanes) s += x;
    return s;
  }

  /** {@code c[j0:j1] = sum_p ar[p] * b row p [j0:j1] + beta*c[j0:j1]}, two vectors of C kept in registers. */
  private static void axpys(float[] ar, int aIdx, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx) {
    for (int j = j0; j < j1; j += 2 * L) {
      VectorMask<Float> m0 = S.indexInRange(j, j1), m1 = S.indexInRange(j + L, j1);
      FloatVector s0 = FloatVector.zero(S), s1 = s0;
      int bIdx = offB + j;
      if (j + 2 * L <= j1) {
        for (int p = 0; p < k; p++, bIdx += ldb) {
          FloatVector av = FloatVector.broadcast(S, ar[aIdx + p]);
          s0 = av.fma(FloatVector.fromArray(S, b, bIdx), s0);
          s1 = av.fma(FloatVector.fromArray(S, b, bIdx + L), s1);
        }
      } else {
        for (int p = 0; p < k; p++, bIdx += ldb) {
          FloatVector av = FloatVector.broadcast(S, ar[aIdx + p]);
          s0 = av.fma(FloatVector.fromArray(S, b, bIdx, m0), s0);
          s1 = av.fma(FloatVector.fromArray(S, b, bIdx + L, m1), s1);
        }
      }
      if (beta != 0f) {
        FloatVector bv = FloatVector.broadcast(S, beta);
        s0 = FloatVector.fromArray(S, c, cIdx + j, m0).fma(bv, s0);
        s1 = FloatVector.fromArray(S, c, cIdx + j + L, m1).fma(bv, s1);
      }
      s0.intoArray(c, cIdx + j, m0);
      s1.intoArray(c, cIdx + j + L, m1);
    }
  }
}
