package dev.kiln.codegen.jvm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector width the JVM backend tiles its kernels for: the Vector API's preferred species on this
 * machine (16 lanes with AVX-512, 8 with AVX2). Kernels use it to pick register-block sizes.
 */
public final class VectorWidth {
  private VectorWidth() {}

  public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  public static int floatLanes() { return SPECIES.length(); }

  /** Rounds {@code n} up to a whole number of vectors. */
  public static int roundUp(int n) {
    int l = floatLanes();
    return (n + l - 1) / l * l;
  }

  /** Dot product of a and b over n elements using full vectors and a scalar tail. */
  public static float dot(float[] a, float[] b, int n) {
    var acc = FloatVector.zero(SPECIES);
    int i = 0;
    for (int upper = SPECIES.loopBound(n); i < upper; i += SPECIES.length())
      acc = FloatVector.fromArray(SPECIES, a, i).fma(FloatVector.fromArray(SPECIES, b, i), acc);
    float s = acc.reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    for (; i < n; i++) s += a[i] * b[i];
    return s;
  }
}
