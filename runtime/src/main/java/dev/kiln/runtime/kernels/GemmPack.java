package dev.kiln.runtime.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Packs blocks of op(A) and op(B) into the order the micro-kernel reads them, so its inner loop touches memory
 * strictly sequentially whatever the transposes and leading dimensions were. Ragged edges are zero-padded to a full
 * micro-tile: the kernel always computes whole tiles and only the write-back looks at the true size.
 */
final class GemmPack {
  private GemmPack() {}

  private static final int MR = GemmKernel.MR, NR = GemmKernel.NR, L = GemmKernel.L;

  /**
   * Rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into {@code ap}: micro-panels of MR rows, each stored k-major
   * ({@code ap[panel*MR*kc + p*MR + r]}), each element multiplied by alpha (so the kernel need not scale).
   */
  static void packA(boolean transA, float alpha, float[] a, int offA, int lda, int i0, int mc, int p0, int kc, float[] ap) {
    for (int ib = 0; ib < mc; ib += MR) {
      int rows = Math.min(MR, mc - ib), base = ib * kc;
      if (rows < MR) Arrays.fill(ap, base, base + MR * kc, 0f);
      if (transA) {
        // op(A)[i][p] = a[p*lda + i]: the MR rows of one depth step are contiguous in the source.
        int src = offA + p0 * lda + i0 + ib;
        for (int p = 0; p < kc; p++, src += lda) System.arraycopy(a, src, ap, base + p * MR, rows);
        if (alpha != 1f) for (int p = 0; p < kc; p++) for (int r = 0; r < rows; r++) ap[base + p * MR + r] *= alpha;
      } else if (alpha != 1f) {
        for (int r = 0; r < rows; r++) {
          int src = offA + (i0 + ib + r) * lda + p0, dst = base + r;
          for (int p = 0; p < kc; p++, dst += MR) ap[dst] = alpha * a[src + p];
        }
      } else if (rows == MR) {
        // Eight source rows read side by side so each depth step writes one contiguous group of MR floats.
        int s0 = offA + (i0 + ib) * lda + p0, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
        int s4 = s3 + lda, s5 = s4 + lda, s6 = s5 + lda, s7 = s6 + lda;
        for (int p = 0, dst = base; p < kc; p++, dst += MR) {
          ap[dst] = a[s0 + p];
          ap[dst + 1] = a[s1 + p];
          ap[dst + 2] = a[s2 + p];
          ap[dst + 3] = a[s3 + p];
          ap[dst + 4] = a[s4 + p];
          ap[dst + 5] = a[s5 + p];
          ap[dst + 6] = a[s6 + p];
          ap[dst + 7] = a[s7 + p];
        }
      } else {
        for (int r = 0; r < rows; r++) {
          int src = offA + (i0 + ib + r) * lda + p0, dst = base + r;
          for (int p = 0; p < kc; p++, dst += MR) ap[dst] = a[src + p];
        }
      }
    }
  }

  /**
   * Depth [p0, p0+kc) and columns [j0, j0+nc) of op(B) into {@code bp}: micro-panels of NR columns, each stored
   * k-major ({@code bp[panel*NR*kc + p*NR + j]}).
   */
  static void packB(boolean transB, float[] b, int offB, int ldb, int p0, int kc, int j0, int nc, float[] bp) {
    for (int jb = 0; jb < nc; jb += NR) {
      int cols = Math.min(NR, nc - jb), base = jb * kc;
      if (transB) {
        // op(B)[p][j] = b[j*ldb + p]: each source row is one column of the panel.
        if (cols < NR) Arrays.fill(bp, base, base + NR * kc, 0f);
        for (int j = 0; j < cols; j++) {
          int src = offB + (j0 + jb + j) * ldb + p0, dst = base + j;
          for (int p = 0; p < kc; p++, dst += NR) bp[dst] = b[src + p];
        }
      } else if (cols == NR) {
        int src = offB + p0 * ldb + j0 + jb;
        for (int p = 0, dst = base; p < kc; p++, src += ldb, dst += NR) {
          FloatVector.fromArray(GemmKernel.S, b, src).intoArray(bp, dst);
          FloatVector.fromArray(GemmKernel.S, b, src + L).intoArray(bp, dst + L);
        }
      } else {
        int src = offB + p0 * ldb + j0 + jb;
        for (int p = 0, dst = base; p < kc; p++, src += ldb, dst += NR) {
          System.arraycopy(b, src, bp, dst, cols);
          Arrays.fill(bp, dst + cols, dst + NR, 0f);
        }
      }
    }
  }
}
