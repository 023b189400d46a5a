package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Gemm#sgemm} against a double-precision triple loop over odd shapes, layouts and scalings. */
class GemmTest {
  @AfterEach
  void restoreThreads() { Threads.setThreads(Runtime.getRuntime().availableProcessors()); }

  static float[] random(Random r, int len) {
    float[] x = new float[len];
    for (int i = 0; i < len; i++) x[i] = r.nextFloat() * 2 - 1;
    return x;
  }

  /** One product with every array padded by an offset and leading dimensions wider than the matrix. */
  record Case(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, int pad, long seed) {
    int lda() { return (ta ? m : k) + pad; }
    int ldb() { return (tb ? k : n) + pad; }
    int ldc() { return n + pad; }
    int offA() { return 3 * pad; }
    int offB() { return 5 * pad; }
    int offC() { return 7 * pad; }

    float[][] inputs() {
      Random r = new Random(seed);
      float[] a = random(r, offA() + (ta ? k : m) * lda() + 1), b = random(r, offB() + (tb ? n : k) * ldb() + 1);
      float[] c = random(r, offC() + m * ldc() + 1);
      return new float[][] {a, b, c};
    }

    float[] run(float[][] in) {
      float[] c = in[2].clone();
      Gemm.sgemm(ta, tb, m, n, k, alpha, in[0], offA(), lda(), in[1], offB(), ldb(), beta, c, offC(), ldc());
      return c;
    }

    void check() {
      float[][] in = inputs();
      float[] a = in[0], b = in[1], c0 = in[2], c = run(in);
      boolean[] inside = new boolean[c.length];
      for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
          double sum = 0, mag = 0;
          for (int p = 0; p < k; p++) {
            double av = ta ? a[offA() + p * lda() + i] : a[offA() + i * lda() + p];
            double bv = tb ? b[offB() + j * ldb() + p] : b[offB() + p * ldb() + j];
            sum += av * bv;
            mag += Math.abs(av * bv);
          }
          int ci = offC() + i * ldc() + j;
          inside[ci] = true;
          double want = alpha * sum + (beta == 0 ? 0 : beta * c0[ci]);
          double tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(beta * c0[ci])) + 1e-6;
          if (!(Math.abs(c[ci] - want) <= tol)) fail(this + ": C[" + i + "][" + j + "] = " + c[ci] + ", expected " + want);
        }
      for (int i = 0; i < c.length; i++) if (!inside[i]) assertEquals(c0[i], c[i], this + ": element " + i + " outside C was written");
    }
  }

  @Test
  void oddShapesAllTransposes() {
    int[] dims = {1, 2, 7, 8, 9, 17, 31, 33, 64, 65};
    long seed = 1;
    for (int m : dims)
      for (int n : new int[] {1, 5, 16, 31, 32, 33, 47, 70})
        for (int k : new int[] {1, 3, 16, 37}) {
          boolean ta = (seed & 1) != 0, tb = (seed & 2) != 0;
          new Case(ta, tb, m, n, k, 1f, 0f, (int) (seed % 3), seed++).check();
        }
  }

  @Test
  void alphaBetaAndLayouts() {
    float[][] ab = {{1f, 0f}, {1f, 1f}, {0.5f, 2f}, {-1.5f, 0.25f}, {2f, -1f}};
    long seed = 100;
    for (boolean ta : new boolean[] {false, true})
      for (boolean tb : new boolean[] {false, true})
        for (float[] s : ab) new Case(ta, tb, 19, 45, 23, s[0], s[1], 4, seed++).check();
  }

  @Test
  void depthLongerThanOneBlockAndManyPanels() {
    // k spans several KC blocks, m several MC blocks, n several NC panels, all with ragged ends.
    new Case(false, false, Gemm.MC + 13, 70, 2 * Gemm.KC + 7, 1f, 0f, 0, 7).check();
    new Case(true, true, 21, Gemm.NC + 45, Gemm.KC + 3, 0.75f, 0.5f, 2, 8).check();
    new Case(false, true, 150, 130, 300, 1f, 1f, 1, 9).check();
    new Case(false, true, 3, 100, 301, 1f, 0.5f, 1, 10).check();
    new Case(true, false, 4, 77, 300, -1f, 0f, 1, 11).check();
  }

  @Test
  void upToSixteenRowsReadBInPlace() {
    // GemmSmall's four-row blocks plus leftover rows, with and without a k tail, all transposes, beta 0 and not.
    long seed = 200;
    for (boolean tb : new boolean[] {true, false})
      for (int m : new int[] {5, 8, 10, 13, 16})
        for (int k : new int[] {3, 16, 37, 128}) {
          new Case((seed & 1) != 0, tb, m, 70, k, (seed & 4) != 0 ? 0.5f : 1f, (seed & 2) != 0 ? 1.5f : 0f, (int) (seed % 3), seed).check();
          seed++;
        }
  }

  @Test
  void degenerateSizes() {
    new Case(false, false, 5, 6, 0, 1f, 0.5f, 1, 11).check(); // k = 0: C = beta * C
    new Case(false, false, 5, 6, 4, 0f, 2f, 1, 12).check(); // alpha = 0
    Gemm.sgemm(false, false, 0, 5, 5, 1f, new float[0], 0, 5, new float[25], 0, 5, 0f, new float[0], 0, 5);
  }

  @Test
  void warmUpRunsOnceAndLeavesResultsExact() {
    Gemm.warmUp();
    assertEquals(0, Gemm.warmUp(), "a second warm-up must do nothing");
    new Case(false, false, 40, 70, 300, 1f, 0f, 1, 41).check();
  }

  @Test
  void undersizedArraysAreNamed() {
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(false, true, 4, 5, 6, 1f, new float[24], 0, 6, new float[29], 0, 6, 0f, new float[20], 0, 5));
    assertTrue(e.getMessage().contains("B is 5x6"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(false, false, 4, 5, 6, 1f, new float[24], 0, 5, new float[30], 0, 5, 0f, new float[20], 0, 5));
    assertTrue(e.getMessage().contains("A is 4x6 with leading dimension 5"), e.getMessage());
  }

  @Test
  void betaZeroDoesNotReadC() {
    float[] a = {1, 2, 3, 4}, b = {1, 0, 0, 1}, c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
    Gemm.sgemm(false, false, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2);
    assertArrayEquals(new float[] {1, 2, 3, 4}, c);
  }

  @Test
  void threadCountDoesNotChangeBits() {
    for (Case cs : new Case[] {
        new Case(false, false, 300, 257, 400, 1f, 0f, 3, 21),
        new Case(true, false, 33, 1500, 100, 1.5f, 0.5f, 0, 22),
        new Case(false, true, 1000, 40, 300, 1f, 1f, 1, 23),
        new Case(false, true, 3, 5000, 300, 1f, 0f, 0, 24), // few rows: the unpacked path
        // four-row blocks of the unpacked path, just big enough (m*n*k = 2^22) to be split over threads
        new Case(false, true, 16, 1024, 256, 1f, 0.5f, 1, 26),
        new Case(false, false, 16, 1024, 256, 1f, 0f, 0, 27),
        new Case(true, false, 4, 3000, 400, 0.5f, 2f, 2, 25)}) {
      float[][] in = cs.inputs();
      Threads.setThreads(1);
      float[] one = cs.run(in);
      for (int t : new int[] {2, 3, 5}) {
        Threads.setThreads(t);
        assertArrayEquals(one, cs.run(in), cs + " with " + t + " threads");
      }
    }
  }

  @Test
  void concurrentCallersGetIndependentResults() throws Exception {
    Case cs = new Case(false, false, 200, 200, 200, 1f, 0f, 0, 31);
    float[][] in = cs.inputs();
    float[] want = cs.run(in);
    Thread[] ts = new Thread[4];
    boolean[] ok = new boolean[ts.length];
    for (int t = 0; t < ts.length; t++) {
      int id = t;
      ts[t] = new Thread(() -> ok[id] = java.util.Arrays.equals(want, cs.run(in)));
      ts[t].start();
    }
    for (Thread t : ts) t.join();
    for (boolean b : ok) assertTrue(b, "a concurrent caller got a different result");
  }
}
