package dev.kiln.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane-wise float operations for loops the JVM backend vectorizes (a generated kernel's innermost loop computes
 * {@link #LANES} iterations at once through these methods), including the transcendentals of LSTM gates, sigmoid
 * and softmax. Every method is small so that C2 inlines it into the generated loop and keeps the vectors in
 * registers. Except for {@link #exp} (see below), results are the same interpreted and compiled.
 *
 * <p>Accuracy (checked by {@code VectorMathTest} against {@link Math#exp} / {@link Math#tanh} in double):
 * {@link #exp} is the Vector API's {@code EXP}: compiled by C2 it calls the JDK's vector math library (SVML on
 * x86-64, relative error measured below 6e-8 here; the API allows 1 ulp), interpreted it is {@link Math#exp} per
 * lane, so a result may differ in the last bit between the first calls of a model and later ones. Overflow gives
 * +inf, underflow denormals then 0, NaN stays NaN. {@link #tanh} and {@link #sigmoid} are built on it, with absolute
 * error below 2e-7 (tanh loses relative accuracy only near 0, where |tanh x| < 1e-3).
 */
public final class VectorMath {
  private VectorMath() {}

  public static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector (16 with AVX-512, 8 with AVX2). */
  public static final int LANES = S.length();

  public static FloatVector load(float[] a, int i) { return FloatVector.fromArray(S, a, i); }

  public static void store(FloatVector v, float[] a, int i) { v.intoArray(a, i); }

  public static FloatVector broadcast(float x) { return FloatVector.broadcast(S, x); }

  public static FloatVector add(FloatVector a, FloatVector b) { return a.add(b); }

  public static FloatVector sub(FloatVector a, FloatVector b) { return a.sub(b); }

  public static FloatVector mul(FloatVector a, FloatVector b) { return a.mul(b); }

  public static FloatVector div(FloatVector a, FloatVector b) { return a.div(b); }

  /** As {@link Math#max(float, float)} per lane (NaN if either is NaN). */
  public static FloatVector max(FloatVector a, FloatVector b) { return a.max(b); }

  public static FloatVector min(FloatVector a, FloatVector b) { return a.min(b); }

  public static FloatVector neg(FloatVector a) { return a.neg(); }

  public static FloatVector abs(FloatVector a) { return a.abs(); }

  public static FloatVector sqrt(FloatVector a) { return a.sqrt(); }

  // Compare-and-select, {@code (x OP y) ? a : b} per lane, with Java's float comparisons (false on NaN, except ne).
  public static FloatVector selectLt(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.LT, y)); }

  public static FloatVector selectLe(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.LE, y)); }

  public static FloatVector selectGt(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.GT, y)); }

  public static FloatVector selectGe(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.GE, y)); }

  public static FloatVector selectEq(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.EQ, y)); }

  public static FloatVector selectNe(FloatVector x, FloatVector y, FloatVector a, FloatVector b) { return b.blend(a, x.compare(VectorOperators.NE, y)); }

  /** The sum of the lanes in a fixed tree order (lane i + lane i+L/2, ...), the same interpreted and compiled. */
  public static float sum(FloatVector v) { return GemmSmall.hsum(v); }

  /** The largest lane (NaN if any lane is NaN); max is exact, so the order does not matter. */
  public static float maxLanes(FloatVector v) { return v.reduceLanes(VectorOperators.MAX); }

  public static float minLanes(FloatVector v) { return v.reduceLanes(VectorOperators.MIN); }

  /**
   * e^x per lane: the Vector API's EXP, which C2 compiles to one call of a vector math stub (SVML on x86) instead
   * of a polynomial of some thirty vector operations (that many per exp made the LSTM gate loop too big for C2 to
   * inline all of it). Accuracy in the class comment.
   */
  public static FloatVector exp(FloatVector x) { return x.lanewise(VectorOperators.EXP); }

  /** 1 / (1 + e^-x) per lane. */
  public static FloatVector sigmoid(FloatVector x) {
    return FloatVector.broadcast(S, 1f).div(exp(x.neg()).add(1f));
  }

  /** tanh x = sign(x) (1 - e^(-2|x|)) / (1 + e^(-2|x|)) per lane; accuracy in the class comment. */
  public static FloatVector tanh(FloatVector x) {
    FloatVector e = exp(x.abs().mul(-2f));
    FloatVector t = FloatVector.broadcast(S, 1f).sub(e).div(e.add(1f));
    return t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
  }
}
