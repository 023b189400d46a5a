package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Prepacked operands ({@link Gemm#prepackA}/{@link Gemm#prepackB}, {@link Conv2d#prepack}) must give bit-identical
 * results to packing per call, for shapes spanning several depth blocks (k > KC), ragged tiles and both thread
 * counts (tiles then start mid-matrix).
 */
class PackedGemmTest {
  @AfterEach
  void restoreThreads() { Threads.setThreads(Runtime.getRuntime().availableProcessors()); }

  // m, n, k: past GemmSmall, over KC, off MR/NR multiples; plus a small one that takes the unpacked small path.
  static final int[][] SHAPES = {{70, 133, 600}, {129, 517, 257}, {9, 40, 300}, {5, 6, 7}};

  @Test
  void packedAMatchesSgemm() {
    for (int threads : new int[] {1, 2})
      for (int[] s : SHAPES)
        for (boolean ta : new boolean[] {false, true})
          for (boolean tb : new boolean[] {false, true})
            for (float beta : new float[] {0f, 1f, 0.5f}) {
              Threads.setThreads(threads);
              int m = s[0], n = s[1], k = s[2], lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
              Random r = new Random(m * 31L + n + k);
              float[] a = GemmTest.random(r, 4 + (ta ? k : m) * lda), b = GemmTest.random(r, 2 + (tb ? n : k) * ldb);
              float[] c0 = GemmTest.random(r, 5 + m * ldc), want = c0.clone(), got = c0.clone();
              Gemm.sgemm(ta, tb, m, n, k, 1f, a, 4, lda, b, 2, ldb, beta, want, 5, ldc);
              PackedMatrix pa = Gemm.prepackA(ta, m, k, a, 4, lda);
              Gemm.sgemmPackedA(pa, tb, n, b, 2, ldb, beta, got, 5, ldc);
              assertArrayEquals(want, got, "packed A " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " beta=" + beta + " threads=" + threads);
            }
  }

  @Test
  void packedBMatchesSgemm() {
    for (int threads : new int[] {1, 2})
      for (int[] s : SHAPES)
        for (boolean ta : new boolean[] {false, true})
          for (boolean tb : new boolean[] {false, true})
            for (float alpha : new float[] {1f, -0.75f}) {
              Threads.setThreads(threads);
              int m = s[0], n = s[1], k = s[2], lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 3, ldc = n;
              Random r = new Random(m * 17L + n * 3L + k);
              float[] a = GemmTest.random(r, 1 + (ta ? k : m) * lda), b = GemmTest.random(r, 6 + (tb ? n : k) * ldb);
              float[] c0 = GemmTest.random(r, m * ldc), want = c0.clone(), got = c0.clone();
              Gemm.sgemm(ta, tb, m, n, k, alpha, a, 1, lda, b, 6, ldb, 1f, want, 0, ldc);
              PackedMatrix pb = Gemm.prepackB(tb, k, n, b, 6, ldb);
              Gemm.sgemmPackedB(ta, m, alpha, a, 1, lda, pb, 1f, got, 0, ldc);
              assertArrayEquals(want, got, "packed B " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " alpha=" + alpha + " threads=" + threads);
            }
  }

  @Test
  void wrongSideIsRejected() {
    float[] w = new float[12];
    PackedMatrix pa = Gemm.prepackA(false, 3, 4, w, 0, 4);
    assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmPackedB(false, 2, 1f, new float[8], 0, 4, pa, 0f, new float[8], 0, 4));
  }

  @Test
  void packedConvMatchesUnpacked() {
    int[][] cases = new int[Conv2dTest.CASES.length + 1][];
    System.arraycopy(Conv2dTest.CASES, 0, cases, 0, Conv2dTest.CASES.length);
    cases[cases.length - 1] = new int[] {2, 64, 14, 14, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1}; // k = 576 > KC, past GemmSmall
    for (int threads : new int[] {1, 2})
      for (int[] cs : cases)
        for (boolean nhwc : new boolean[] {false, true}) {
          Threads.setThreads(threads);
          ConvParams p = Conv2dTest.params(cs);
          Random r = new Random(p.hashCode());
          float[] x = GemmTest.random(r, (int) p.inputSize()), w = GemmTest.random(r, (int) p.weightSize()), bias = GemmTest.random(r, p.oc());
          float[] want = new float[(int) p.outputSize()], got = new float[want.length];
          PackedMatrix[] packed = Conv2d.prepack(p, w, nhwc);
          if (nhwc) {
            Conv2d.runNhwc(p, x, 0, w, bias, want, 0);
            Conv2d.runNhwc(p, x, 0, w, packed, bias, got, 0);
          } else {
            Conv2d.run(p, x, 0, w, null, want, 0);
            Conv2d.run(p, x, 0, w, packed, null, got, 0);
          }
          // A prepacked channels-last conv with one group is ConvNhwc's implicit GEMM, which starts its sums at the bias
          // (the unpacked path adds the bias last): equal up to rounding there, bit-identical everywhere else.
          if (nhwc && ConvNhwc.takes(p, packed)) {
            for (int i = 0; i < want.length; i++)
              assertEquals(want[i], got[i], 1e-5f * (1 + Math.abs(want[i])), "conv " + p + " element " + i + " threads=" + threads);
          } else assertArrayEquals(want, got, "conv " + p + " nhwc=" + nhwc + " threads=" + threads);
        }
  }
}
