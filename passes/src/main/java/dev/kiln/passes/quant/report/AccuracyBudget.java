package dev.kiln.passes.quant.report;

/**
 * How much end-to-end error quantization may cost. {@code X} or {@code X%}: for a classifier, the fraction of
 * calibration rows whose top-1 class changes; otherwise the relative L2 error of the output. {@code XdB}: the
 * output's SQNR must be at least X dB.
 */
public record AccuracyBudget(double value, boolean decibels) {
  /**
   * Parses {@code 0.01}, {@code 1%} or {@code 30dB}.
   *
   * @throws IllegalArgumentException saying what is expected
   */
  public static AccuracyBudget parse(String text) {
    String t = text.strip();
    try {
      if (t.toLowerCase(java.util.Locale.ROOT).endsWith("db")) return new AccuracyBudget(Double.parseDouble(t.substring(0, t.length() - 2).strip()), true);
      double v = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).strip()) / 100 : Double.parseDouble(t);
      if (!(v >= 0)) throw new NumberFormatException();
      return new AccuracyBudget(v, false);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("accuracy budget '" + text + "': expected a fraction (0.01), a percentage (1%) or a minimum SQNR (30dB)");
    }
  }

  /** Whether the measured end-to-end error is within the budget. */
  public boolean holds(QuantReport.EndToEnd e) {
    if (decibels) return e.sqnrDb() >= value;
    return e.classification() ? 1 - e.top1Agreement() <= value + 1e-12 : e.relativeL2() <= value;
  }

  public String text() {
    if (decibels) return value + "dB (output SQNR at least)";
    return value + " (top-1 disagreement for a classifier, else relative L2 error, at most)";
  }
}
