package dev.kiln.samples.trace;

import java.nio.file.Path;

/** Sample: trace an MLP written in Java with PyTorch's weights (samples/trace-mlp), print its IR, run it. */
public final class TraceMlp {
  private TraceMlp() {}

  /** @param args optionally the data folder; by default samples/trace-mlp above the working directory */
  public static void main(String[] args) {
    Path dir = args.length > 0 ? Path.of(args[0]) : TraceSample.dataDir("trace-mlp");
    TraceSample.Result r = TraceSample.run(new Mlp(), dir, "mlp.pt", System.out);
    if (r.maxAbsDiff() > 1e-4) throw new IllegalStateException("output differs from PyTorch's by " + r.maxAbsDiff());
  }
}
