package dev.kiln.samples.trace;

import java.nio.file.Path;

/** Sample: trace a residual CNN written in Java with PyTorch's weights (samples/trace-cnn), print its IR, run it. */
public final class TraceCnn {
  private TraceCnn() {}

  /** @param args optionally the data folder; by default samples/trace-cnn above the working directory */
  public static void main(String[] args) {
    Path dir = args.length > 0 ? Path.of(args[0]) : TraceSample.dataDir("trace-cnn");
    TraceSample.Result r = TraceSample.run(new Cnn(), dir, "cnn.pt", System.out);
    if (r.maxAbsDiff() > 1e-4) throw new IllegalStateException("output differs from PyTorch's by " + r.maxAbsDiff());
  }
}
