package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link QGemm} against the plain loop {@code sum (x - xz)(w - wz[j]) + bias[j]} in wrapping int32: shapes around
 * the 4-row blocks and the vector length, values at the ends of the u8/s8 ranges, and a depth long enough that
 * the sums wrap past int32 (where only exact modular arithmetic still agrees).
 */
class QGemmTest {
  static int[] reference(byte[] x, int m, int k, boolean unsigned, int xz, byte[] w, int n, int[] wz, int[] bias) {
    int[] out = new int[m * n];
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        int acc = bias == null ? 0 : bias[j];
        for (int p = 0; p < k; p++) acc += ((unsigned ? x[i * k + p] & 0xff : x[i * k + p]) - xz) * (w[j * k + p] - wz[j]);
        out[i * n + j] = acc;
      }
    return out;
  }

  static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      int pick = r.nextInt(6);
      b[i] = (byte) (pick == 0 ? 0 : pick == 1 ? 255 : pick == 2 ? -128 : pick == 3 ? 127 : r.nextInt(256));
    }
    return b;
  }

  static int[] run(byte[] x, int m, int k, boolean unsigned, int xz, byte[] w, int n, int[] wz, int[] bias) {
    QGemm.Packed p = QGemm.pack(w, 0, n, k);
    short[] xw = new short[m * p.kp()];
    int[] sums = QGemm.widen(x, 0, m, k, p.kp(), unsigned, xw);
    int[] acc = new int[m * n];
    QGemm.dots(xw, m, p, acc);
    QGemm.correct(acc, m, p, sums, xz, unsigned, wz, bias);
    return acc;
  }

  @Test
  void equalsThePlainLoopOnAwkwardShapesAndRangeEnds() {
    Random r = new Random(8);
    int[][] shapes = {{1, 1, 1}, {1, 7, 3}, {3, 16, 5}, {4, 17, 9}, {5, 33, 2}, {8, 64, 16}, {9, 100, 33}, {13, 31, 1}};
    for (int[] s : shapes)
      for (boolean unsigned : new boolean[] {true, false}) {
        int m = s[0], k = s[1], n = s[2];
        byte[] x = bytes(r, m * k), w = bytes(r, n * k);
        int xz = unsigned ? (r.nextBoolean() ? 255 : 0) : (r.nextBoolean() ? -128 : 127);
        int[] wz = new int[n], bias = new int[n];
        for (int j = 0; j < n; j++) {
          wz[j] = r.nextInt(256) - 128;
          bias[j] = r.nextInt();
        }
        String at = "m=" + m + " k=" + k + " n=" + n + " unsigned=" + unsigned;
        assertArrayEquals(reference(x, m, k, unsigned, xz, w, n, wz, bias), run(x, m, k, unsigned, xz, w, n, wz, bias), at);
        assertArrayEquals(reference(x, m, k, unsigned, xz, w, n, wz, null), run(x, m, k, unsigned, xz, w, n, wz, null), at);
      }
  }

  @Test
  void wrapsAsTheInt32LoopDoes() {
    int k = 70_000, m = 5, n = 2;
    byte[] x = new byte[m * k], w = new byte[n * k];
    java.util.Arrays.fill(x, (byte) 255);
    java.util.Arrays.fill(w, (byte) -128);
    int[] wz = {127, -128};
    int[] want = reference(x, m, k, true, 0, w, n, wz, null);
    long exact = (long) k * 255 * (-128 - 127);
    assertEquals((int) exact, want[0], "the plain loop wraps");
    assertArrayEquals(want, run(x, m, k, true, 0, w, n, wz, null));
  }
}
