package dev.kiln.bench;

/**
 * One row of the results: a model at one batch size and thread count, either raced or refused.
 *
 * @param model the fixture's name, e.g. {@code "mlp"}
 * @param kilnThreads the thread count Kiln actually ran with (its kernels' pool size when not controllable)
 * @param setup how the two sides were prepared, not null
 * @param result the race, or null when the cell was not timed
 * @param error why it was not timed (a wrong answer, a failed import or compile), or null when timed
 */
public record Cell(String model, int batch, int threads, int kilnThreads, Setup setup, Race.Result result, String error) {
  /**
   * Preparation costs, not part of the timed calls.
   *
   * @param optLevel the Kiln optimization level that ran (-1 when the import failed)
   * @param note why the level is lower than asked, or empty
   */
  public record Setup(int optLevel, String note, double importMs, double optimizeMs, double compileMs, double ortSessionMs) {
    public static final Setup NONE = new Setup(-1, "", 0, 0, 0, 0);
  }

  public boolean timed() { return result != null; }

  static Cell timed(String model, int batch, int threads, int kilnThreads, Setup setup, Race.Result r) {
    return new Cell(model, batch, threads, kilnThreads, setup, r, null);
  }

  static Cell refused(String model, int batch, int threads, int kilnThreads, Setup setup, String why) {
    return new Cell(model, batch, threads, kilnThreads, setup, null, why);
  }
}
