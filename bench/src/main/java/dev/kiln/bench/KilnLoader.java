package dev.kiln.bench;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Kiln's side of the setup: import a TorchScript archive at the input's exact shape (the bench knows it, and static
 * shapes let every pass fold sizes), then run an optimization level. If the requested level fails on a model (passes
 * are young), it falls back to the next lower level, loudly: the report records the level that actually ran.
 */
public final class KilnLoader {
  private KilnLoader() {}

  /**
   * An optimized model ready for a backend.
   *
   * @param level the optimization level that ran (may be below the one asked for)
   * @param note why it is lower, or empty
   */
  public record Prepared(Graph graph, Map<String, Tensor> weights, int level, String note, double importMs, double optimizeMs) {}

  /**
   * @param pt a torch.jit.save archive, not null
   * @param shape the f32 input's shape, not null
   * @param level the optimization level to try first, 0 to 2
   * @throws RuntimeException from the importer when the archive cannot be read (nothing to fall back to)
   */
  public static Prepared load(Path pt, long[] shape, int level) {
    long t0 = System.nanoTime();
    var imported = TorchScriptImporter.importArchive(pt, List.of(Type.tensor(DType.F32, shape)));
    Verifier.verify(imported.graph());
    double importMs = (System.nanoTime() - t0) / 1e6;
    String note = "";
    for (int l = level; l >= 0; l--) {
      long t1 = System.nanoTime();
      try {
        Program p = optimize(imported.graph(), imported.weights(), l);
        return new Prepared(p.graph(), p.weights(), l, note, importMs, (System.nanoTime() - t1) / 1e6);
      } catch (RuntimeException e) {
        String why = "-O" + l + " failed (" + firstLine(e.getMessage()) + ")";
        System.err.println("kiln: " + pt + ": " + why + (l > 0 ? "; trying -O" + (l - 1) : ""));
        note = note.isEmpty() ? why : note + "; " + why;
        if (l == 0) throw e;
      }
    }
    throw new AssertionError("unreachable");
  }

  /** Runs level {@code l} on a copy of the graph (a failed level must not leave a half-rewritten graph behind). */
  static Program optimize(Graph g, Map<String, Tensor> weights, int l) {
    Graph copy = dev.kiln.ir.text.IrParser.parse(dev.kiln.ir.text.IrPrinter.print(g), g.name());
    return PassManager.parse(Pipelines.level(l)).run(Program.of(copy, weights));
  }

  private static String firstLine(String s) {
    if (s == null) return "no message";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
