package dev.kiln.bench;

import java.util.Locale;

/**
 * Compares an output with the reference: element count first, then the largest absolute difference against a
 * tolerance scaled by the reference's magnitude ({@code tol * max(1, max|ref|)}), since logits of a deep net are
 * larger than an MLP's and both runtimes reorder float sums.
 */
public final class OutputCheck {
  private OutputCheck() {}

  /**
   * @param what names the runtime, model, batch and threads for the message, e.g. {@code "ort mlp b1 t1"}
   * @param got the runtime's output, not null
   * @param want PyTorch's output, not null
   * @param tol relative tolerance, positive
   * @return the max abs difference (finite, within tolerance)
   * @throws WrongAnswerException naming {@code what}, the first bad element and the difference, when the sizes
   *     differ, an element is NaN where the reference is not, or the difference is over tolerance
   */
  public static double maxAbsDiff(String what, float[] got, float[] want, double tol) {
    if (got.length != want.length)
      throw new WrongAnswerException(what + ": output has " + got.length + " elements, PyTorch's reference has " + want.length);
    double scale = 1, worst = 0;
    int worstAt = -1;
    for (float w : want) scale = Math.max(scale, Math.abs(w));
    for (int i = 0; i < got.length; i++) {
      double d = Math.abs((double) got[i] - want[i]);
      if (Double.isNaN(d) && !Float.isNaN(want[i]))
        throw new WrongAnswerException(what + ": output[" + i + "] is " + got[i] + ", PyTorch's reference is " + want[i]);
      if (d > worst) {
        worst = d;
        worstAt = i;
      }
    }
    if (worst > tol * scale)
      throw new WrongAnswerException(String.format(Locale.ROOT,
          "%s: max abs diff %.3e at output[%d] (got %s, PyTorch %s) is over the tolerance %.1e * %.3g; not timing a wrong answer",
          what, worst, worstAt, got[worstAt], want[worstAt], tol, scale));
    return worst;
  }
}
