package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.runtime.interp.OpRunner.f;
import static dev.kiln.runtime.interp.OpRunner.fl;
import static dev.kiln.runtime.interp.OpRunner.run;
import static dev.kiln.runtime.interp.OpRunner.run1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.SequenceOps;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinalgAndSequenceKernelsTest {
  private static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
    return v;
  }

  @Test
  void gemmMatchesTheDefinitionOnOddSizes() {
    Random r = new Random(3);
    for (int[] s : new int[][] {{1, 1, 1}, {5, 7, 3}, {9, 33, 300}, {64, 49, 513}, {4, 130, 17}, {70, 1000, 12}}) {
      int m = s[0], n = s[1], k = s[2];
      float[] a = random(r, m * k), b = random(r, k * n), c = new float[m * n];
      Gemm.sgemm(m, n, k, a, 0, k, b, 0, n, c, 0, n, false);
      for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
        double want = 0;
        for (int kk = 0; kk < k; kk++) want += a[i * k + kk] * b[kk * n + j];
        assertEquals(want, c[i * n + j], 1e-4 * Math.max(1, Math.abs(want)), "m=" + m + " n=" + n + " k=" + k);
      }
    }
  }

  @Test
  void matmulLinearAndFriends() {
    Tensor a = f(fl(1, 2, 3, 4, 5, 6), 2, 3), b = f(fl(1, 0, 0, 1, 1, 1), 3, 2);
    assertArrayEquals(fl(4, 5, 10, 11), run1(LinalgOps.MATMUL, Map.of(), a, b).toFloatArray());
    Tensor v = run1(LinalgOps.MATMUL, Map.of(), a, f(fl(1, 1, 1), 3));
    assertArrayEquals(new long[] {2}, v.shape());
    assertArrayEquals(fl(6, 15), v.toFloatArray());
    Tensor batched = run1(LinalgOps.MATMUL, Map.of(), f(fl(1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 1, 0), 2, 2, 3), b);
    assertArrayEquals(fl(4, 5, 10, 11, 1, 0, 0, 1), batched.toFloatArray());
    Tensor lin = run1(LinalgOps.LINEAR, Map.of(), a, f(fl(1, 1, 1, 0, 0, 1), 2, 3), f(fl(0.5, -1), 2));
    assertArrayEquals(fl(6.5, 2, 15.5, 5), lin.toFloatArray());
    assertArrayEquals(fl(4, 5, 10, 11), run1(LinalgOps.MM, Map.of(), a, b).toFloatArray());
    assertArrayEquals(fl(9, 11, 21, 23), run1(LinalgOps.ADDMM, attrs("beta", 1.0, "alpha", 2.0), f(fl(1, 1), 2), a, b).toFloatArray());
    assertArrayEquals(fl(4, 5, 10, 11), run1(LinalgOps.BMM, Map.of(), a.reshape(1, 2, 3), b.reshape(1, 3, 2)).toFloatArray());
  }

  private static double sig(double x) { return 1 / (1 + Math.exp(-x)); }

  @Test
  void lstmMatchesAManualStepByStepComputation() {
    // one layer, hidden 1, input 1, batch 1, two steps; gate weights per (i, f, g, o)
    double[] wih = {0.5, -0.3, 0.8, 0.1}, whh = {0.2, 0.4, -0.6, 0.7}, bih = {0.1, 0, -0.1, 0.2}, bhh = {0, 0.3, 0, -0.1};
    double[] xs = {1.0, -2.0};
    double h = 0.25, c = -0.5;
    double[] outs = new double[2];
    for (int t = 0; t < 2; t++) {
      double[] g = new double[4];
      for (int q = 0; q < 4; q++) g[q] = xs[t] * wih[q] + bih[q] + h * whh[q] + bhh[q];
      c = sig(g[1]) * c + sig(g[0]) * Math.tanh(g[2]);
      h = sig(g[3]) * Math.tanh(c);
      outs[t] = h;
    }
    List<Object> r = run(SequenceOps.LSTM, Map.of(), f(fl(xs), 2, 1, 1), f(fl(0.25), 1, 1, 1), f(fl(-0.5), 1, 1, 1),
        f(fl(wih), 4, 1), f(fl(whh), 4, 1), f(fl(bih), 4), f(fl(bhh), 4));
    assertArrayEquals(fl(outs), ((Tensor) r.get(0)).toFloatArray(), 1e-6f);
    assertEquals(h, ((Tensor) r.get(1)).doubleAt(0), 1e-6);
    assertEquals(c, ((Tensor) r.get(2)).doubleAt(0), 1e-6);
  }

  @Test
  void bidirectionalTwoLayerLstmShapesAndReverseDirection() {
    Random rnd = new Random(5);
    int hid = 3, in = 2, batch = 2, steps = 4;
    Object[] ops = new Object[3 + 16];
    ops[0] = f(random(rnd, batch * steps * in), batch, steps, in);
    ops[1] = f(new float[4 * batch * hid], 4, batch, hid);
    ops[2] = f(new float[4 * batch * hid], 4, batch, hid);
    int k = 3;
    for (int layer = 0; layer < 2; layer++) for (int d = 0; d < 2; d++) {
      int features = layer == 0 ? in : 2 * hid;
      ops[k++] = f(random(rnd, 4 * hid * features), 4 * hid, features);
      ops[k++] = f(random(rnd, 4 * hid * hid), 4 * hid, hid);
      ops[k++] = f(random(rnd, 4 * hid), 4 * hid);
      ops[k++] = f(random(rnd, 4 * hid), 4 * hid);
    }
    List<Object> r = run(SequenceOps.LSTM, attrs("num_layers", 2L, "bidirectional", true, "batch_first", true), ops);
    Tensor out = (Tensor) r.get(0), hn = (Tensor) r.get(1);
    assertArrayEquals(new long[] {batch, steps, 2 * hid}, out.shape());
    assertArrayEquals(new long[] {4, batch, hid}, hn.shape());
    // last layer: forward final h is the output at the last step, reverse final h the output at step 0
    assertArrayEquals(out.select(0, 0).select(0, steps - 1).slice(0, 0, hid, 1).toFloatArray(), hn.select(0, 2).select(0, 0).toFloatArray(), 1e-6f);
    assertArrayEquals(out.select(0, 0).select(0, 0).slice(0, hid, 2 * hid, 1).toFloatArray(), hn.select(0, 3).select(0, 0).toFloatArray(), 1e-6f);
  }

  @Test
  void attentionWithBoolMaskFloatMaskAndCausal() {
    Tensor q = f(fl(1, 0, 0, 1), 1, 2, 2), k = f(fl(1, 0, 0, 1), 1, 2, 2), v = f(fl(10, 20), 1, 2, 1);
    Tensor causal = run1(SequenceOps.ATTENTION, attrs("causal", true), q, k, v);
    double p = Math.exp(0) / (Math.exp(0) + Math.exp(1 / Math.sqrt(2)));
    assertArrayEquals(fl(10, 10 * p + 20 * (1 - p)), causal.toFloatArray(), 1e-5f);
    Tensor keepSecond = Tensor.fromBools(new boolean[] {false, true}, 1, 2);
    assertArrayEquals(fl(20, 20), run1(SequenceOps.ATTENTION, Map.of(), q, k, v, keepSecond).toFloatArray(), 1e-5f);
    Tensor add = f(fl(0, Float.NEGATIVE_INFINITY), 1, 2);
    assertArrayEquals(fl(10, 10), run1(SequenceOps.ATTENTION, Map.of(), q, k, v, add).toFloatArray(), 1e-5f);
    assertTrue(run1(SequenceOps.ATTENTION, attrs("scale", 0.0), q, k, v).allClose(f(fl(15, 15), 1, 2, 1), 1e-5, 0));
  }
}
