package dev.kiln.samples.trace;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.TraceOptions;
import dev.kiln.frontend.trace.TracedModel;
import dev.kiln.frontend.trace.Tracer;
import dev.kiln.frontend.weights.StateDicts;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The steps both tracing samples share: load PyTorch's weights into a Java model, trace it with a symbolic batch,
 * run the graph on the saved input and compare with PyTorch's output.
 */
public final class TraceSample {
  private TraceSample() {}

  /** What a run produced: the traced model, the graph's output and its largest difference from PyTorch's. */
  public record Result(TracedModel traced, Tensor output, double maxAbsDiff) {}

  /**
   * @param dir a folder holding {@code weights}, {@code input.npy} and {@code expected.npy}
   * @param out where the IR and the comparison are printed; may be null for silence
   */
  public static Result run(Module model, Path dir, String weights, PrintStream out) {
    StateDicts.load(model, dir.resolve(weights));
    Tensor input = Npy.read(dir.resolve("input.npy"));
    TracedModel traced = Tracer.trace(model, List.of(input), TraceOptions.defaults().withSymbolicDim(0, 0, "N"));
    Tensor y = (Tensor) traced.run(input).get(0);
    double diff = y.maxAbsDiff(Npy.read(dir.resolve("expected.npy")));
    if (out != null) {
      out.println(traced.ir());
      out.println("guards: " + traced.guardReport());
      out.println("output " + y + ", max |kiln - pytorch| = " + diff);
    }
    return new Result(traced, y, diff);
  }

  /** {@code samples/<name>} found from the working directory or one of its parents (repository root or samples/). */
  public static Path dataDir(String name) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("samples").resolve(name))) return p.resolve("samples").resolve(name);
      if (Files.isDirectory(p.resolve(name)) && p.getFileName() != null && p.getFileName().toString().equals("samples")) return p.resolve(name);
    }
    throw new IllegalStateException("samples/" + name + " not found above " + Path.of("").toAbsolutePath());
  }
}
