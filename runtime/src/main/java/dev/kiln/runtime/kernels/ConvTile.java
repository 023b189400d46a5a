package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernel of the implicit-GEMM convolution ({@link ConvNhwc}): like {@link GemmKernel#tile}, an MR x NR
 * tile of C (8 output pixels by two vectors of output channels) in registers, B streamed from the weight packed once
 * ({@link PackedMatrix}), but A read in place: row r of A is output pixel r, and its elements for one depth block are
 * runs of input channels ("segments", one per kernel tap) at {@code a[row[r] + segOff[s] + q]}. So there is neither
 * an im2col matrix nor a packed copy of A; each depth step still does 2 vector loads, 8 broadcasts and 16 FMAs.
 *
 * <p>The first depth block starts the accumulators at the bias (per output channel) instead of zero, so the bias
 * needs no pass over C; later blocks add onto C; the last applies the epilogue ({@code max(min(acc + res, hi), lo)})
 * to the registers before its store, so that needs no pass either. No vector crosses a method boundary (see
 * {@link GemmKernel}).
 */
final class ConvTile {
  private ConvTile() {}

  static final VectorSpecies<Float> S = GemmKernel.S;
  static final int L = GemmKernel.L, MR = GemmKernel.MR, NR = GemmKernel.NR;

  /**
   * {@code T[r][j] = (accumulate ? T[r][j] : bias[bi + j]) + sum over segments s in [s0, s1), q < segLen[s] of
   * a[rows[ri + r] + segOff[s] + q] * bp[bIdx + (p++)*NR + j]} for the full tile T whose row r starts at
   * {@code t[tIdx + r*ldt]}. bias holds at least bi + NR floats.
   */
  static void tile(float[] a, int[] rows, int ri, int[] segOff, int[] segLen, int s0, int s1, float[] bp, int bIdx,
      float[] t, int tIdx, int ldt, boolean accumulate, float[] bias, int bi, boolean epilogue, float[] res, float lo, float hi) {
    FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
    FloatVector c40, c41, c50, c51, c60, c61, c70, c71;
    int t0 = tIdx, t1 = t0 + ldt, t2 = t1 + ldt, t3 = t2 + ldt, t4 = t3 + ldt, t5 = t4 + ldt, t6 = t5 + ldt, t7 = t6 + ldt;
    if (accumulate) {
      c00 = FloatVector.fromArray(S, t, t0);
      c01 = FloatVector.fromArray(S, t, t0 + L);
      c10 = FloatVector.fromArray(S, t, t1);
      c11 = FloatVector.fromArray(S, t, t1 + L);
      c20 = FloatVector.fromArray(S, t, t2);
      c21 = FloatVector.fromArray(S, t, t2 + L);
      c30 = FloatVector.fromArray(S, t, t3);
      c31 = FloatVector.fromArray(S, t, t3 + L);
      c40 = FloatVector.fromArray(S, t, t4);
      c41 = FloatVector.fromArray(S, t, t4 + L);
      c50 = FloatVector.fromArray(S, t, t5);
      c51 = FloatVector.fromArray(S, t, t5 + L);
      c60 = FloatVector.fromArray(S, t, t6);
      c61 = FloatVector.fromArray(S, t, t6 + L);
      c70 = FloatVector.fromArray(S, t, t7);
      c71 = FloatVector.fromArray(S, t, t7 + L);
    } else {
      FloatVector z0 = FloatVector.fromArray(S, bias, bi), z1 = FloatVector.fromArray(S, bias, bi + L);
      c00 = z0; c10 = z0; c20 = z0; c30 = z0; c40 = z0; c50 = z0; c60 = z0; c70 = z0;
      c01 = z1; c11 = z1; c21 = z1; c31 = z1; c41 = z1; c51 = z1; c61 = z1; c71 = z1;
    }
    int r0 = rows[ri], r1 = rows[ri + 1], r2 = rows[ri + 2], r3 = rows[ri + 3];
    int r4 = rows[ri + 4], r5 = rows[ri + 5], r6 = rows[ri + 6], r7 = rows[ri + 7];
    for (int s = s0; s < s1; s++) {
      int o = segOff[s], len = segLen[s];
      int a0 = r0 + o, a1 = r1 + o, a2 = r2 + o, a3 = r3 + o, a4 = r4 + o, a5 = r5 + o, a6 = r6 + o, a7 = r7 + o;
      for (int q = 0; q < len; q++, bIdx += NR) {
        FloatVector b0 = FloatVector.fromArray(S, bp, bIdx), b1 = FloatVector.fromArray(S, bp, bIdx + L);
        FloatVector v = FloatVector.broadcast(S, a[a0 + q]);
        c00 = v.fma(b0, c00);
        c01 = v.fma(b1, c01);
        v = FloatVector.broadcast(S, a[a1 + q]);
        c10 = v.fma(b0, c10);
        c11 = v.fma(b1, c11);
        v = FloatVector.broadcast(S, a[a2 + q]);
        c20 = v.fma(b0, c20);
        c21 = v.fma(b1, c21);
        v = FloatVector.broadcast(S, a[a3 + q]);
        c30 = v.fma(b0, c30);
        c31 = v.fma(b1, c31);
        v = FloatVector.broadcast(S, a[a4 + q]);
        c40 = v.fma(b0, c40);
        c41 = v.fma(b1, c41);
        v = FloatVector.broadcast(S, a[a5 + q]);
        c50 = v.fma(b0, c50);
        c51 = v.fma(b1, c51);
        v = FloatVector.broadcast(S, a[a6 + q]);
        c60 = v.fma(b0, c60);
        c61 = v.fma(b1, c61);
        v = FloatVector.broadcast(S, a[a7 + q]);
        c70 = v.fma(b0, c70);
        c71 = v.fma(b1, c71);
      }
    }
    if (epilogue) {
      // The last depth block: y = max(min(y + res, hi), lo) before the only store (res laid out as t).
      if (res != null) {
        c00 = c00.add(FloatVector.fromArray(S, res, t0));
        c01 = c01.add(FloatVector.fromArray(S, res, t0 + L));
        c10 = c10.add(FloatVector.fromArray(S, res, t1));
        c11 = c11.add(FloatVector.fromArray(S, res, t1 + L));
        c20 = c20.add(FloatVector.fromArray(S, res, t2));
        c21 = c21.add(FloatVector.fromArray(S, res, t2 + L));
        c30 = c30.add(FloatVector.fromArray(S, res, t3));
        c31 = c31.add(FloatVector.fromArray(S, res, t3 + L));
        c40 = c40.add(FloatVector.fromArray(S, res, t4));
        c41 = c41.add(FloatVector.fromArray(S, res, t4 + L));
        c50 = c50.add(FloatVector.fromArray(S, res, t5));
        c51 = c51.add(FloatVector.fromArray(S, res, t5 + L));
        c60 = c60.add(FloatVector.fromArray(S, res, t6));
        c61 = c61.add(FloatVector.fromArray(S, res, t6 + L));
        c70 = c70.add(FloatVector.fromArray(S, res, t7));
        c71 = c71.add(FloatVector.fromArray(S, res, t7 + L));
      }
      FloatVector vl = FloatVector.broadcast(S, lo), vh = FloatVector.broadcast(S, hi);
      c00 = c00.min(vh).max(vl);
      c01 = c01.min(vh).max(vl);
      c10 = c10.min(vh).max(vl);
      c11 = c11.min(vh).max(vl);
      c20 = c20.min(vh).max(vl);
      c21 = c21.min(vh).max(vl);
      c30 = c30.min(vh).max(vl);
      c31 = c31.min(vh).max(vl);
      c40 = c40.min(vh).max(vl);
      c41 = c41.min(vh).max(vl);
      c50 = c50.min(vh).max(vl);
      c51 = c51.min(vh).max(vl);
      c60 = c60.min(vh).max(vl);
      c61 = c61.min(vh).max(vl);
      c70 = c70.min(vh).max(vl);
      c71 = c71.min(vh).max(vl);
    }
    c00.intoArray(t, t0);
    c01.intoArray(t, t0 + L);
    c10.intoArray(t, t1);
    c11.intoArray(t, t1 + L);
    c20.intoArray(t, t2);
    c21.intoArray(t, t2 + L);
    c30.intoArray(t, t3);
    c31.intoArray(t, t3 + L);
    c40.intoArray(t, t4);
    c41.intoArray(t, t4 + L);
    c50.intoArray(t, t5);
    c51.intoArray(t, t5 + L);
    c60.intoArray(t, t6);
    c61.intoArray(t, t6 + L);
    c70.intoArray(t, t7);
    c71.intoArray(t, t7 + L);
  }

  /**
   * A ragged tile (mr < MR rows or nr < NR columns) of C at {@code c[cIdx]}, staged through {@code tmp} (MR*NR floats).
   * rows[ri + r] must be valid offsets for all MR rows (callers repeat a real row for the missing ones).
   */
  static void raggedTile(float[] a, int[] rows, int ri, int[] segOff, int[] segLen, int s0, int s1, float[] bp, int bIdx,
      float[] c, int cIdx, int ldc, boolean accumulate, float[] bias, int bi, int mr, int nr, float[] tmp,
      boolean epilogue, float[] res, float lo, float hi) {
    if (accumulate) {
      for (int r = 0; r < mr; r++)
        for (int j = 0; j < NR; j += L) {
          VectorMask<Float> m = S.indexInRange(j, nr);
          FloatVector.fromArray(S, c, cIdx + r * ldc + j, m).intoArray(tmp, r * NR + j);
        }
    }
    tile(a, rows, ri, segOff, segLen, s0, s1, bp, bIdx, tmp, 0, NR, accumulate, bias, bi, false, null, 0f, 0f);
    FloatVector vl = FloatVector.broadcast(S, lo), vh = FloatVector.broadcast(S, hi);
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < nr; j += L) {
        VectorMask<Float> m = S.indexInRange(j, nr);
        FloatVector v = FloatVector.fromArray(S, tmp, r * NR + j);
        if (epilogue) {
          if (res != null) v = v.add(FloatVector.fromArray(S, res, cIdx + r * ldc + j, m));
          v = v.min(vh).max(vl);
        }
        v.intoArray(c, cIdx + r * ldc + j, m);
      }
  }
}
