package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked micro-kernel: an MR x NR tile of C (8 rows by two vectors, 16 accumulators) lives in
 * registers while one packed A micro-panel and one packed B micro-panel stream past; each depth step is 2 vector
 * loads, 8 broadcasts and 16 fused multiply-adds. With AVX-512 (16 lanes) the tile is 8 x 32, leaving registers for
 * the two B vectors and the broadcast.
 *
 * <p>The kernel only ever adds into a tile or overwrites it: alpha is folded into packed A and beta applied to C
 * beforehand ({@link Gemm}), so no vector value crosses a method boundary here. That matters: a FloatVector passed to
 * a call C2 does not inline gets boxed, which made an earlier write-back helper five times slower.
 */
final class GemmKernel {
  private GemmKernel() {}

  static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  static final int L = S.length();
  static final int MR = 8;
  static final int NR = 2 * L;

  /**
   * {@code T[r][j] (+)= sum_p ap[aIdx + p*MR + r] * bp[bIdx + p*NR + j]} for the full MR x NR tile T whose row r
   * starts at {@code t[tIdx + r*ldt]}; T is read first only when {@code accumulate}.
   */
  static void tile(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float[] t, int tIdx, int ldt, boolean accumulate) {
    FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
    FloatVector c40, c41, c50, c51, c60, c61, c70, c71;
    int r0 = tIdx, r1 = r0 + ldt, r2 = r1 + ldt, r3 = r2 + ldt, r4 = r3 + ldt, r5 = r4 + ldt, r6 = r5 + ldt, r7 = r6 + ldt;
    if (accumulate) {
      c00 = FloatVector.fromArray(S, t, r0);
      c01 = FloatVector.fromArray(S, t, r0 + L);
      c10 = FloatVector.fromArray(S, t, r1);
      c11 = FloatVector.fromArray(S, t, r1 + L);
      c20 = FloatVector.fromArray(S, t, r2);
      c21 = FloatVector.fromArray(S, t, r2 + L);
      c30 = FloatVector.fromArray(S, t, r3);
      c31 = FloatVector.fromArray(S, t, r3 + L);
      c40 = FloatVector.fromArray(S, t, r4);
      c41 = FloatVector.fromArray(S, t, r4 + L);
      c50 = FloatVector.fromArray(S, t, r5);
      c51 = FloatVector.fromArray(S, t, r5 + L);
      c60 = FloatVector.fromArray(S, t, r6);
      c61 = FloatVector.fromArray(S, t, r6 + L);
      c70 = FloatVector.fromArray(S, t, r7);
      c71 = FloatVector.fromArray(S, t, r7 + L);
    } else {
      FloatVector z = FloatVector.zero(S);
      c00 = z; c01 = z; c10 = z; c11 = z; c20 = z; c21 = z; c30 = z; c31 = z;
      c40 = z; c41 = z; c50 = z; c51 = z; c60 = z; c61 = z; c70 = z; c71 = z;
    }
    for (int p = 0; p < kc; p++, aIdx += MR, bIdx += NR) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bIdx), b1 = FloatVector.fromArray(S, bp, bIdx + L);
      FloatVector a = FloatVector.broadcast(S, ap[aIdx]);
      c00 = a.fma(b0, c00);
      c01 = a.fma(b1, c01);
      a = FloatVector.broadcast(S, ap[aIdx + 1]);
      c10 = a.fma(b0, c10);
      c11 = a.fma(b1, c11);
      a = FloatVector.broadcast(S, ap[aIdx + 2]);
      c20 = a.fma(b0, c20);
      c21 = a.fma(b1, c21);
      a = FloatVector.broadcast(S, ap[aIdx + 3]);
      c30 = a.fma(b0, c30);
      c31 = a.fma(b1, c31);
      a = FloatVector.broadcast(S, ap[aIdx + 4]);
      c40 = a.fma(b0, c40);
      c41 = a.fma(b1, c41);
      a = FloatVector.broadcast(S, ap[aIdx + 5]);
      c50 = a.fma(b0, c50);
      c51 = a.fma(b1, c51);
      a = FloatVector.broadcast(S, ap[aIdx + 6]);
      c60 = a.fma(b0, c60);
      c61 = a.fma(b1, c61);
      a = FloatVector.broadcast(S, ap[aIdx + 7]);
      c70 = a.fma(b0, c70);
      c71 = a.fma(b1, c71);
    }
    c00.intoArray(t, r0);
    c01.intoArray(t, r0 + L);
    c10.intoArray(t, r1);
    c11.intoArray(t, r1 + L);
    c20.intoArray(t, r2);
    c21.intoArray(t, r2 + L);
    c30.intoArray(t, r3);
    c31.intoArray(t, r3 + L);
    c40.intoArray(t, r4);
    c41.intoArray(t, r4 + L);
    c50.intoArray(t, r5);
    c51.intoArray(t, r5 + L);
    c60.intoArray(t, r6);
    c61.intoArray(t, r6 + L);
    c70.intoArray(t, r7);
    c71.intoArray(t, r7 + L);
  }

  /**
   * A ragged tile (mr < MR rows or nr < NR columns) of C at {@code c[cIdx]}: staged through {@code tmp} (MR*NR floats)
   * so the kernel still runs on a full tile; the copies use masked vectors, not scalar loops.
   */
  static void raggedTile(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float[] c, int cIdx, int ldc,
      boolean accumulate, int mr, int nr, float[] tmp) {
    if (accumulate) {
      for (int r = 0; r < mr; r++)
        for (int j = 0; j < NR; j += L) {
          VectorMask<Float> m = S.indexInRange(j, nr);
          FloatVector.fromArray(S, c, cIdx + r * ldc + j, m).intoArray(tmp, r * NR + j);
        }
    }
    tile(kc, ap, aIdx, bp, bIdx, tmp, 0, NR, accumulate);
    for (int r = 0; r < mr; r++)
      for (int j = 0; j < nr; j += L) {
        VectorMask<Float> m = S.indexInRange(j, nr);
        FloatVector.fromArray(S, tmp, r * NR + j).intoArray(c, cIdx + r * ldc + j, m);
      }
  }
}
