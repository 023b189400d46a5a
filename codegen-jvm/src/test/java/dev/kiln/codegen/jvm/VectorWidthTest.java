package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorWidthTest {
  @Test
  void lanesArePowerOfTwoAndRoundUpCoversN() {
    int l = VectorWidth.floatLanes();
    assertTrue(l >= 1 && Integer.bitCount(l) == 1, "lanes " + l);
    assertEquals(0, VectorWidth.roundUp(0));
    assertEquals(l, VectorWidth.roundUp(1));
    assertEquals(2 * l, VectorWidth.roundUp(l + 1));
  }

  @Test
  void dotMatchesScalarSumIncludingTail() {
    int n = 3 * VectorWidth.floatLanes() + 5;
    float[] a = new float[n], b = new float[n];
    double want = 0;
    for (int i = 0; i < n; i++) {
      a[i] = (i % 7) - 3;
      b[i] = (i % 5) * 0.5f;
      want += (double) a[i] * b[i];
    }
    assertEquals(want, VectorWidth.dot(a, b, n), 1e-4);
  }
}
