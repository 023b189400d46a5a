package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.UnaryOperator;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The accuracy {@link VectorMath} documents, against java.lang.Math in double, on a dense sweep and the edges. */
class VectorMathTest {
  private static final int L = VectorMath.LANES;

  /** f applied to xs, LANES at a time (xs.length a multiple of LANES). */
  private static float[] apply(UnaryOperator<FloatVector> f, float[] xs) {
    float[] out = new float[xs.length];
    for (int i = 0; i < xs.length; i += L) VectorMath.store(f.apply(VectorMath.load(xs, i)), out, i);
    return out;
  }

  private static float[] sweep(float lo, float hi, int n) {
    float[] xs = new float[n * L];
    Random r = new Random(7);
    for (int i = 0; i < xs.length; i++) xs[i] = i % 2 == 0 ? lo + (hi - lo) * i / xs.length : lo + (hi - lo) * r.nextFloat();
    return xs;
  }

  @Test
  void expIsWithinTwoUlpOnTheNormalRange() {
    float[] xs = sweep(-86.9f, 88.7f, 20000);
    float[] ys = apply(VectorMath::exp, xs);
    double worst = 0;
    for (int i = 0; i < xs.length; i++) {
      double ref = Math.exp(xs[i]);
      double rel = Math.abs(ys[i] - ref) / ref;
      worst = Math.max(worst, rel);
      assertTrue(rel < 2.4e-7, "exp(" + xs[i] + ") = " + ys[i] + ", expected " + ref + " (relative error " + rel + ")");
    }
    assertTrue(worst > 0, "the sweep compared nothing");
  }

  @Test
  void expEdges() {
    float[] xs = new float[2 * L];
    float[] in = {0f, -0f, 1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 88.72f, 88.73f, 89f, -87.5f, -100f, -104f, -1e30f, 1e30f,
        88.7f, -86.9f};
    System.arraycopy(in, 0, xs, 0, Math.min(in.length, xs.length));
    float[] ys = apply(VectorMath::exp, xs);
    assertEquals(1f, ys[0]);
    assertEquals(1f, ys[1]);
    assertEquals((float) Math.E, ys[2], 1e-6f);
    assertTrue(Float.isNaN(ys[3]));
    assertEquals(Float.POSITIVE_INFINITY, ys[4]);
    assertEquals(0f, ys[5]);
    assertEquals((float) Math.exp(88.72f), ys[6], Math.ulp((float) Math.exp(88.72f)) * 2);
    assertEquals(Float.POSITIVE_INFINITY, ys[7]);
    assertEquals(Float.POSITIVE_INFINITY, ys[8]);
    assertTrue(ys[9] >= 0 && ys[9] < 2e-38f, "exp(-87.5) = " + ys[9]);
    assertTrue(ys[10] >= 0 && ys[10] < 2e-38f, "exp(-100) = " + ys[10]);
    assertEquals(0f, ys[11]);
    assertEquals(0f, ys[12]);
    assertEquals(Float.POSITIVE_INFINITY, ys[13]);
    if (L >= 16) {
      assertEquals((float) Math.exp(88.7f), ys[14], Math.ulp((float) Math.exp(88.7f)) * 2);
      assertEquals((float) Math.exp(-86.9f), ys[15], Math.ulp((float) Math.exp(-86.9f)) * 2);
    }
  }

  @Test
  void tanhAndSigmoidAbsoluteError() {
    float[] xs = sweep(-30f, 30f, 5000);
    float[] th = apply(VectorMath::tanh, xs), sg = apply(VectorMath::sigmoid, xs);
    for (int i = 0; i < xs.length; i++) {
      assertEquals(Math.tanh(xs[i]), th[i], 2e-7, "tanh(" + xs[i] + ")");
      assertEquals(1 / (1 + Math.exp(-xs[i])), sg[i], 2e-7, "sigmoid(" + xs[i] + ")");
    }
    float[] edges = new float[L];
    edges[0] = Float.NaN;
    edges[1] = Float.POSITIVE_INFINITY;
    if (L > 2) edges[2] = Float.NEGATIVE_INFINITY;
    float[] t = apply(VectorMath::tanh, edges);
    assertTrue(Float.isNaN(t[0]));
    assertEquals(1f, t[1]);
    if (L > 2) assertEquals(-1f, t[2]);
  }

  @Test
  void reductionsAndSelects() {
    float[] xs = sweep(-5f, 5f, 1);
    FloatVector v = VectorMath.load(xs, 0);
    double sum = 0, max = Double.NEGATIVE_INFINITY;
    for (float x : xs) {
      sum += x;
      max = Math.max(max, x);
    }
    assertEquals(sum, VectorMath.sum(v), 1e-5);
    assertEquals((float) max, VectorMath.maxLanes(v));
    float[] relu = new float[L];
    FloatVector zero = VectorMath.broadcast(0f);
    VectorMath.store(VectorMath.selectGt(v, zero, v, zero), relu, 0);
    for (int i = 0; i < L; i++) assertEquals(Math.max(xs[i], 0f), relu[i]);
  }
}
