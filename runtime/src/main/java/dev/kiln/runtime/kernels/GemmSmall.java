package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
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
  /**
   * Products up to this many rows also take it when B fits in L2 ({@link #MAX_B}): blocks of four rows share each
   * load of B, while packing B (a copy of all of it, every call) would cost more than the product at these sizes.
   */
  static final int MAX_ROWS_TRANS_B = 16;
  /** The largest B (k * n floats, 1 MB) that blocks of rows re-read instead of packing it. */
  static final long MAX_B = 1L << 18;

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] rotations() {
    int steps = Integer.numberOfTrailingZeros(L);
    VectorShuffle<Float>[] r = new VectorShuffle[steps];
    for (int i = 0, w = L / 2; i < steps; i++, w /= 2) r[i] = VectorShuffle.iota(S, w, 1, true);
    return r;
  }

  /** Whether {@link #run} takes a product of this shape. */
  static boolean takes(int m, int n, int k) {
    return m <= MAX_ROWS || m <= MAX_ROWS_TRANS_B && (long) n * k <= MAX_B;
  }

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Lane rotations by L/2, L/4, ..., 1: a fixed reduction tree, identical interpreted and compiled. */
  private static final VectorShuffle<Float>[] ROTATIONS = rotations();
  /** Columns per task when split over threads. */
  private static final int CHUNK = 16 * L;

  /** Same contract as {@link Gemm#sgemm}, for shapes {@link #takes} accepts, k > 0 and alpha != 0. */
  static void run(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int offA, int lda,
      float[] b, int offB, int ldb, float beta, float[] c, int offC, int ldc) {
    // op(A) rows read in place when they already are rows (row i at offA + i*lda) and alpha is 1; otherwise made
    // contiguous and scaled by alpha once (at most MAX_ROWS_TRANS_B * k floats).
    boolean inPlace = !transA && alpha == 1f;
    float[] ar = inPlace ? a : new float[m * k];
    int a0 = inPlace ? offA : 0, as = inPlace ? lda : k;
    if (!inPlace)
      for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) ar[i * k + p] = alpha * (transA ? a[offA + p * lda + i] : a[offA + i * lda + p]);
    int chunks = Math.ceilDiv(n, CHUNK);
    Threads.TaskBody body = t -> {
      int j0 = t * CHUNK, j1 = Math.min(n, j0 + CHUNK);
      int i = 0;
      for (; i + 4 <= m; i += 4) {
        if (transB) dots4(ar, a0 + i * as, as, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc, ldc);
        else axpys4(ar, a0 + i * as, as, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc, ldc);
      }
      for (; i < m; i++) {
        if (transB) dots(ar, a0 + i * as, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc);
        else axpys(ar, a0 + i * as, k, b, offB, ldb, j0, j1, beta, c, offC + i * ldc);
      }
    };
    if ((long) n * k * m < Gemm.PARALLEL_WORK) for (int t = 0; t < chunks; t++) body.run(t);
    else Threads.forEach(chunks, body);
  }

  /** {@code c[j] = dot(ar row, b row j) + beta*c[j]} for j in [j0, j1): op(B) column j is row j of b. */
  private static void dots(float[] ar, int aIdx, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx) {
    int kv = k - k % (2 * L);
    for (int j = j0; j < j1; j++) {
      int bIdx = offB + j * ldb;
      FloatVector s0 = FloatVector.zero(S), s1 = s0;
      for (int p = 0; p < kv; p += 2 * L) {
        s0 = FloatVector.fromArray(S, ar, aIdx + p).fma(FloatVector.fromArray(S, b, bIdx + p), s0);
        s1 = FloatVector.fromArray(S, ar, aIdx + p + L).fma(FloatVector.fromArray(S, b, bIdx + p + L), s1);
      }
      store(c, cIdx + j, hsum(s0.add(s1)) + tail(ar, aIdx, b, bIdx, kv, k), beta);
    }
  }

  /** {@link #dots} for four rows of A (at aIdx, aIdx + as, ...): each load of b row j feeds four FMAs. */
  private static void dots4(float[] ar, int aIdx, int as, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx, int ldc) {
    int a1 = aIdx + as, a2 = a1 + as, a3 = a2 + as;
    int kv = k - k % L;
    for (int j = j0; j < j1; j++) {
      int bIdx = offB + j * ldb;
      FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
      for (int p = 0; p < kv; p += L) {
        FloatVector bv = FloatVector.fromArray(S, b, bIdx + p);
        s0 = FloatVector.fromArray(S, ar, aIdx + p).fma(bv, s0);
        s1 = FloatVector.fromArray(S, ar, a1 + p).fma(bv, s1);
        s2 = FloatVector.fromArray(S, ar, a2 + p).fma(bv, s2);
        s3 = FloatVector.fromArray(S, ar, a3 + p).fma(bv, s3);
      }
      store(c, cIdx + j, hsum(s0) + tail(ar, aIdx, b, bIdx, kv, k), beta);
      store(c, cIdx + ldc + j, hsum(s1) + tail(ar, a1, b, bIdx, kv, k), beta);
      store(c, cIdx + 2 * ldc + j, hsum(s2) + tail(ar, a2, b, bIdx, kv, k), beta);
      store(c, cIdx + 3 * ldc + j, hsum(s3) + tail(ar, a3, b, bIdx, kv, k), beta);
    }
  }

  /**
   * The scalar rest of a dot product, p in [p0, k). Ragged ends are scalar loops rather than masked vector loads:
   * a masked load that may run past the array end has a slow path, and once C2 has seen it taken the vectors of
   * the whole loop get boxed (a many-fold slowdown that one model with odd sizes inflicts on every later model).
   */
  private static float tail(float[] ar, int aIdx, float[] b, int bIdx, int p0, int k) {
    float s = 0f;
    for (int p = p0; p < k; p++) s += ar[aIdx + p] * b[bIdx + p];
    return s;
  }

  private static void store(float[] c, int idx, float v, float beta) { c[idx] = beta == 0f ? v : v + beta * c[idx]; }

  /**
   * The sum of the lanes by a fixed tree of rotations (lane i + lane i+L/2, then i+L/4, ...): a few shuffles in
   * registers instead of a store and L scalar adds, and, unlike {@code reduceLanes(ADD)}, the same order
   * interpreted and compiled (every lane sees the same pairs; lane 0 is taken).
   */
  static float hsum(FloatVector v) {
    for (VectorShuffle<Float> r : ROTATIONS) v = v.add(v.rearrange(r));
    return v.lane(0);
  }

  /**
   * {@link #axpys} for four rows of A (at aIdx, aIdx + as, ...): a 4 x 2L tile of C in eight registers, each pair
   * of B loads feeding eight FMAs. Columns past the last full 2L block are scalar ({@link #columns}).
   */
  private static void axpys4(float[] ar, int aIdx, int as, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx, int ldc) {
    int a1 = aIdx + as, a2 = a1 + as, a3 = a2 + as;
    int jv = j0 + (j1 - j0) / (2 * L) * (2 * L);
    for (int j = j0; j < jv; j += 2 * L) {
      FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
      int bIdx = offB + j;
      for (int p = 0; p < k; p++, bIdx += ldb) {
        FloatVector b0 = FloatVector.fromArray(S, b, bIdx), b1 = FloatVector.fromArray(S, b, bIdx + L);
        FloatVector x0 = FloatVector.broadcast(S, ar[aIdx + p]), x1 = FloatVector.broadcast(S, ar[a1 + p]);
        FloatVector x2 = FloatVector.broadcast(S, ar[a2 + p]), x3 = FloatVector.broadcast(S, ar[a3 + p]);
        s00 = x0.fma(b0, s00);
        s01 = x0.fma(b1, s01);
        s10 = x1.fma(b0, s10);
        s11 = x1.fma(b1, s11);
        s20 = x2.fma(b0, s20);
        s21 = x2.fma(b1, s21);
        s30 = x3.fma(b0, s30);
        s31 = x3.fma(b1, s31);
      }
      storeRow(c, cIdx + j, s00, s01, beta);
      storeRow(c, cIdx + ldc + j, s10, s11, beta);
      storeRow(c, cIdx + 2 * ldc + j, s20, s21, beta);
      storeRow(c, cIdx + 3 * ldc + j, s30, s31, beta);
    }
    for (int i = 0; i < 4; i++) columns(ar, aIdx + i * as, k, b, offB, ldb, jv, j1, beta, c, cIdx + i * ldc);
  }

  /** Two full vectors of a C row, {@code s + beta * c} (c not read when beta is 0); no vector flows out of a branch. */
  private static void storeRow(float[] c, int idx, FloatVector s0, FloatVector s1, float beta) {
    if (beta != 0f) {
      FloatVector bv = FloatVector.broadcast(S, beta);
      FloatVector.fromArray(S, c, idx).fma(bv, s0).intoArray(c, idx);
      FloatVector.fromArray(S, c, idx + L).fma(bv, s1).intoArray(c, idx + L);
    } else {
      s0.intoArray(c, idx);
      s1.intoArray(c, idx + L);
    }
  }

  /** {@code c[j0:j1] = sum_p ar[p] * b row p [j0:j1] + beta*c[j0:j1]}, two vectors of C kept in registers. */
  private static void axpys(float[] ar, int aIdx, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx) {
    int jv = j0 + (j1 - j0) / (2 * L) * (2 * L);
    for (int j = j0; j < jv; j += 2 * L) {
      int bIdx = offB + j;
      // Four partial sums over p mod 4 per vector: eight independent FMA chains, so one row is not bound by FMA
      // latency (a single chain over k would wait 4 cycles per step); summed in a fixed order at the end.
      FloatVector s0 = FloatVector.zero(S), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
      int p = 0;
      for (; p + 4 <= k; p += 4, bIdx += 4 * ldb) {
        FloatVector a0 = FloatVector.broadcast(S, ar[aIdx + p]), a1 = FloatVector.broadcast(S, ar[aIdx + p + 1]);
        FloatVector a2 = FloatVector.broadcast(S, ar[aIdx + p + 2]), a3 = FloatVector.broadcast(S, ar[aIdx + p + 3]);
        s0 = a0.fma(FloatVector.fromArray(S, b, bIdx), s0);
        s1 = a0.fma(FloatVector.fromArray(S, b, bIdx + L), s1);
        t0 = a1.fma(FloatVector.fromArray(S, b, bIdx + ldb), t0);
        t1 = a1.fma(FloatVector.fromArray(S, b, bIdx + ldb + L), t1);
        u0 = a2.fma(FloatVector.fromArray(S, b, bIdx + 2 * ldb), u0);
        u1 = a2.fma(FloatVector.fromArray(S, b, bIdx + 2 * ldb + L), u1);
        v0 = a3.fma(FloatVector.fromArray(S, b, bIdx + 3 * ldb), v0);
        v1 = a3.fma(FloatVector.fromArray(S, b, bIdx + 3 * ldb + L), v1);
      }
      for (; p < k; p++, bIdx += ldb) {
        FloatVector av = FloatVector.broadcast(S, ar[aIdx + p]);
        s0 = av.fma(FloatVector.fromArray(S, b, bIdx), s0);
        s1 = av.fma(FloatVector.fromArray(S, b, bIdx + L), s1);
      }
      storeRow(c, cIdx + j, s0.add(t0).add(u0.add(v0)), s1.add(t1).add(u1.add(v1)), beta);
    }
    columns(ar, aIdx, k, b, offB, ldb, jv, j1, beta, c, cIdx);
  }

  /** The ragged columns [j0, j1) of one row, scalar (see {@link #tail} for why not masked vectors). */
  private static void columns(float[] ar, int aIdx, int k, float[] b, int offB, int ldb, int j0, int j1, float beta, float[] c, int cIdx) {
    for (int j = j0; j < j1; j++) {
      float s = 0f;
      for (int p = 0; p < k; p++) s += ar[aIdx + p] * b[offB + p * ldb + j];
      store(c, cIdx + j, s, beta);
    }
  }
}
