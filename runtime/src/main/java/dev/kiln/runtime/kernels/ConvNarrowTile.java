package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel of {@link ConvNhwc} for a last column panel exactly one vector wide (oc = 16, 48, 144 ... on
 * AVX-512): 2*MR output pixels by one vector of output channels (16 accumulators), where {@link ConvTile#tile} would
 * compute MR pixels by two vectors and throw half away. B is the same packed panel (NR floats per depth step, of
 * which the first L are read). Every output element sums the same products in the same order as {@link ConvTile},
 * so results are the same bits.
 */
final class ConvNarrowTile {
  private ConvNarrowTile() {}

  static final VectorSpecies<Float> S = GemmKernel.S;
  static final int L = GemmKernel.L, NR = GemmKernel.NR;
  /** Rows (output pixels) per narrow tile. */
  static final int ROWS = 2 * GemmKernel.MR;

  /**
   * {@code T[r][j] = (accumulate ? T[r][j] : bias[bi + j]) + sum over segments s in [s0, s1), q < segLen[s] of
   * a[rows[ri + r] + segOff[s] + q] * bp[bIdx + (p++)*NR + j]} for r < 16, j < L, T's row r at {@code t[tIdx + r*ldt]};
   * then, when {@code epilogue}, {@code max(min(T + res, hi), lo)} (res laid out as T, or null). No vector crosses a
   * method boundary (see {@link GemmKernel}).
   */
  static void tile(float[] a, int[] rows, int ri, int[] segOff, int[] segLen, int s0, int s1, float[] bp, int bIdx,
      float[] t, int tIdx, int ldt, boolean accumulate, float[] bias, int bi, boolean epilogue, float[] res, float lo, float hi) {
    FloatVector c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15;
    if (accumulate) {
      c0 = FloatVector.fromArray(S, t, tIdx);
      c1 = FloatVector.fromArray(S, t, tIdx + ldt);
      c2 = FloatVector.fromArray(S, t, tIdx + 2 * ldt);
      c3 = FloatVector.fromArray(S, t, tIdx + 3 * ldt);
      c4 = FloatVector.fromArray(S, t, tIdx + 4 * ldt);
      c5 = FloatVector.fromArray(S, t, tIdx + 5 * ldt);
      c6 = FloatVector.fromArray(S, t, tIdx + 6 * ldt);
      c7 = FloatVector.fromArray(S, t, tIdx + 7 * ldt);
      c8 = FloatVector.fromArray(S, t, tIdx + 8 * ldt);
      c9 = FloatVector.fromArray(S, t, tIdx + 9 * ldt);
      c10 = FloatVector.fromArray(S, t, tIdx + 10 * ldt);
      c11 = FloatVector.fromArray(S, t, tIdx + 11 * ldt);
      c12 = FloatVector.fromArray(S, t, tIdx + 12 * ldt);
      c13 = FloatVector.fromArray(S, t, tIdx + 13 * ldt);
      c14 = FloatVector.fromArray(S, t, tIdx + 14 * ldt);
      c15 = FloatVector.fromArray(S, t, tIdx + 15 * ldt);
    } else {
      FloatVector z = FloatVector.fromArray(S, bias, bi);
      c0 = z; c1 = z; c2 = z; c3 = z; c4 = z; c5 = z; c6 = z; c7 = z;
      c8 = z; c9 = z; c10 = z; c11 = z; c12 = z; c13 = z; c14 = z; c15 = z;
    }
    int r0 = rows[ri], r1 = rows[ri + 1], r2 = rows[ri + 2], r3 = rows[ri + 3], r4 = rows[ri + 4], r5 = rows[ri + 5];
    int r6 = rows[ri + 6], r7 = rows[ri + 7], r8 = rows[ri + 8], r9 = rows[ri + 9], r10 = rows[ri + 10], r11 = rows[ri + 11];
    int r12 = rows[ri + 12], r13 = rows[ri + 13], r14 = rows[ri + 14], r15 = rows[ri + 15];
    for (int s = s0; s < s1; s++) {
      int o = segOff[s], len = segLen[s];
      int a0 = r0 + o, a1 = r1 + o, a2 = r2 + o, a3 = r3 + o, a4 = r4 + o, a5 = r5 + o, a6 = r6 + o, a7 = r7 + o;
      int a8 = r8 + o, a9 = r9 + o, a10 = r10 + o, a11 = r11 + o, a12 = r12 + o, a13 = r13 + o, a14 = r14 + o, a15 = r15 + o;
      for (int q = 0; q < len; q++, bIdx += NR) {
        FloatVector b = FloatVector.fromArray(S, bp, bIdx);
        c0 = FloatVector.broadcast(S, a[a0 + q]).fma(b, c0);
        c1 = FloatVector.broadcast(S, a[a1 + q]).fma(b, c1);
        c2 = FloatVector.broadcast(S, a[a2 + q]).fma(b, c2);
        c3 = FloatVector.broadcast(S, a[a3 + q]).fma(b, c3);
        c4 = FloatVector.broadcast(S, a[a4 + q]).fma(b, c4);
        c5 = FloatVector.broadcast(S, a[a5 + q]).fma(b, c5);
        c6 = FloatVector.broadcast(S, a[a6 + q]).fma(b, c6);
        c7 = FloatVector.broadcast(S, a[a7 + q]).fma(b, c7);
        c8 = FloatVector.broadcast(S, a[a8 + q]).fma(b, c8);
        c9 = FloatVector.broadcast(S, a[a9 + q]).fma(b, c9);
        c10 = FloatVector.broadcast(S, a[a10 + q]).fma(b, c10);
        c11 = FloatVector.broadcast(S, a[a11 + q]).fma(b, c11);
        c12 = FloatVector.broadcast(S, a[a12 + q]).fma(b, c12);
        c13 = FloatVector.broadcast(S, a[a13 + q]).fma(b, c13);
        c14 = FloatVector.broadcast(S, a[a14 + q]).fma(b, c14);
        c15 = FloatVector.broadcast(S, a[a15 + q]).fma(b, c15);
      }
    }
    if (epilogue) {
      if (res != null) {
        c0 = c0.add(FloatVector.fromArray(S, res, tIdx));
        c1 = c1.add(FloatVector.fromArray(S, res, tIdx + ldt));
        c2 = c2.add(FloatVector.fromArray(S, res, tIdx + 2 * ldt));
        c3 = c3.add(FloatVector.fromArray(S, res, tIdx + 3 * ldt));
        c4 = c4.add(FloatVector.fromArray(S, res, tIdx + 4 * ldt));
        c5 = c5.add(FloatVector.fromArray(S, res, tIdx + 5 * ldt));
        c6 = c6.add(FloatVector.fromArray(S, res, tIdx + 6 * ldt));
        c7 = c7.add(FloatVector.fromArray(S, res, tIdx + 7 * ldt));
        c8 = c8.add(FloatVector.fromArray(S, res, tIdx + 8 * ldt));
        c9 = c9.add(FloatVector.fromArray(S, res, tIdx + 9 * ldt));
        c10 = c10.add(FloatVector.fromArray(S, res, tIdx + 10 * ldt));
        c11 = c11.add(FloatVector.fromArray(S, res, tIdx + 11 * ldt));
        c12 = c12.add(FloatVector.fromArray(S, res, tIdx + 12 * ldt));
        c13 = c13.add(FloatVector.fromArray(S, res, tIdx + 13 * ldt));
        c14 = c14.add(FloatVector.fromArray(S, res, tIdx + 14 * ldt));
        c15 = c15.add(FloatVector.fromArray(S, res, tIdx + 15 * ldt));
      }
      FloatVector vl = FloatVector.broadcast(S, lo), vh = FloatVector.broadcast(S, hi);
      c0 = c0.min(vh).max(vl);
      c1 = c1.min(vh).max(vl);
      c2 = c2.min(vh).max(vl);
      c3 = c3.min(vh).max(vl);
      c4 = c4.min(vh).max(vl);
      c5 = c5.min(vh).max(vl);
      c6 = c6.min(vh).max(vl);
      c7 = c7.min(vh).max(vl);
      c8 = c8.min(vh).max(vl);
      c9 = c9.min(vh).max(vl);
      c10 = c10.min(vh).max(vl);
      c11 = c11.min(vh).max(vl);
      c12 = c12.min(vh).max(vl);
      c13 = c13.min(vh).max(vl);
      c14 = c14.min(vh).max(vl);
      c15 = c15.min(vh).max(vl);
    }
    c0.intoArray(t, tIdx);
    c1.intoArray(t, tIdx + ldt);
    c2.intoArray(t, tIdx + 2 * ldt);
    c3.intoArray(t, tIdx + 3 * ldt);
    c4.intoArray(t, tIdx + 4 * ldt);
    c5.intoArray(t, tIdx + 5 * ldt);
    c6.intoArray(t, tIdx + 6 * ldt);
    c7.intoArray(t, tIdx + 7 * ldt);
    c8.intoArray(t, tIdx + 8 * ldt);
    c9.intoArray(t, tIdx + 9 * ldt);
    c10.intoArray(t, tIdx + 10 * ldt);
    c11.intoArray(t, tIdx + 11 * ldt);
    c12.intoArray(t, tIdx + 12 * ldt);
    c13.intoArray(t, tIdx + 13 * ldt);
    c14.intoArray(t, tIdx + 14 * ldt);
    c15.intoArray(t, tIdx + 15 * ldt);
  }
}
