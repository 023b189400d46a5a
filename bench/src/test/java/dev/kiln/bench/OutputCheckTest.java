package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputCheckTest {
  @Test
  void returnsTheLargestDifference() {
    assertEquals(0.25, OutputCheck.maxAbsDiff("x", new float[] {1f, 2.25f, 3f}, new float[] {1f, 2f, 3.125f}, 1), 1e-9);
  }

  @Test
  void toleranceScalesWithTheReferenceMagnitude() {
    // max|ref| = 100, so 1e-3 allows 0.1; below magnitude 1 the scale stays 1.
    assertEquals(0.0625, OutputCheck.maxAbsDiff("big", new float[] {100.0625f}, new float[] {100f}, 1e-3), 1e-9);
    var e = assertThrows(WrongAnswerException.class,
        () -> OutputCheck.maxAbsDiff("small", new float[] {0.0625f}, new float[] {0f}, 1e-3));
    assertTrue(e.getMessage().startsWith("small: max abs diff 6.250e-02 at output[0] (got 0.0625, PyTorch 0.0)"), e.getMessage());
  }

  @Test
  void refusesWrongSizesAndNaN() {
    var size = assertThrows(WrongAnswerException.class, () -> OutputCheck.maxAbsDiff("ort mlp b8 t2", new float[2], new float[3], 1e-3));
    assertEquals("ort mlp b8 t2: output has 2 elements, PyTorch's reference has 3", size.getMessage());
    var nan = assertThrows(WrongAnswerException.class,
        () -> OutputCheck.maxAbsDiff("k", new float[] {0f, Float.NaN}, new float[] {0f, 1f}, 1e-3));
    assertEquals("k: output[1] is NaN, PyTorch's reference is 1.0", nan.getMessage());
  }
}
