package dev.kiln.cli;

import dev.kiln.passes.quant.calib.Calibrator;
import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr, redrawn with carriage returns: {@code calibrating [#######.....] 7/12}. Ends its
 * line when the last step is done.
 */
final class ProgressBar implements Calibrator.Progress {
  private static final int WIDTH = 30;
  private final PrintWriter err;
  private final String label;

  ProgressBar(PrintWriter err, String label) {
    this.err = err;
    this.label = label;
  }

  @Override public void done(int samples, int total) {
    int filled = total == 0 ? WIDTH : samples * WIDTH / total;
    err.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + samples + "/" + total);
    if (samples >= total) err.println();
    err.flush();
  }
}
