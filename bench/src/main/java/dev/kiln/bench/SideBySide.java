package dev.kiln.bench;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Kiln against ONNX Runtime, side by side in one process: for each model, batch and thread count, both runtimes get
 * the same weights and input, both answers are checked against PyTorch's, then calls alternate Kiln, ORT, Kiln, ORT
 * ... ({@link Race}). Prints one line per cell and writes a Markdown report ({@link MarkdownReport}).
 *
 * <p>Run it with {@code bench/side-by-side.sh [options]} (see {@link BenchOptions#USAGE}); it generates missing
 * fixtures with tests/fixtures/gen_onnx.py first. Exit code 0 when every cell was timed, 1 when some were refused
 * (wrong answer, import or compile failure; the report says why), 2 for a bad command line.
 */
public final class SideBySide {
  private SideBySide() {}

  public static void main(String[] args) throws Exception {
    BenchOptions o;
    try {
      o = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    String command = System.getenv().getOrDefault("KILN_BENCH_COMMAND", "java dev.kiln.bench.SideBySide " + String.join(" ", args));
    List<Cell> cells = run(o, command, System.out);
    System.exit(cells.stream().allMatch(Cell::timed) ? 0 : 1);
  }

  /** Runs every cell the options name, prints progress to {@code log}, writes the report unless --no-report. */
  static List<Cell> run(BenchOptions o, String command, PrintStream log) throws Exception {
    String loadBefore = MachineInfo.loadAverage();
    MachineInfo machine = MachineInfo.probe();
    log.printf(Locale.ROOT, "Kiln (%s) vs ONNX Runtime %s on %s, %d cores, JDK %s; load %s%n", o.backend(), OrtTarget.version(),
        machine.cpu(), machine.cores(), Runtime.version(), loadBefore);
    Fixtures.ensure(o);
    KilnBackends.Entry backend = KilnBackends.get(o.backend());
    Race.prime(); // the bench's own one-time work, before any cell's setup and first call
    List<Cell> cells = new ArrayList<>();
    for (String model : o.models()) {
      Path dir = o.fixtures().resolve(model);
      byte[] onnx = Files.readAllBytes(dir.resolve("model.onnx"));
      for (int batch : o.batches()) cells.addAll(runBatch(o, backend, model, dir, onnx, batch, log));
    }
    List<String> notes = new ArrayList<>();
    notes.add("Kiln side: TorchScript archive (model.pt) imported at the input's shape, -O" + o.optLevel()
        + " asked (the level that ran is in the setup table), run on backend '" + o.backend() + "'");
    notes.add("ONNX Runtime side: model.onnx (opset 17), CPU provider, ALL_OPT, intra-op threads as in the table, inter-op 1, "
        + "session.intra_op.allow_spinning=0");
    if (backend.fixedThreads() > 0)
      notes.add("Kiln backend '" + o.backend() + "' runs on " + backend.fixedThreads() + " thread(s) in every row (its native code "
          + "is not threaded yet), shown as (Kiln " + backend.fixedThreads() + ") beside ORT's count when they differ");
    else if (!backend.threaded() || !KilnThreads.controllable())
      notes.add("Kiln's thread count does not apply to backend '" + o.backend() + "' in this build (its kernels use their own pool "
          + "of " + Runtime.getRuntime().availableProcessors() + " threads in every row, shown as (Kiln n) beside ORT's count)");
    notes.add("first call: the first run right after compiling and instantiating (Kiln) or creating the session (ORT) for that "
        + "cell (ORT's setup and first call come first, then Kiln's), timed as the timed calls are (the run alone, not the copy "
        + "of its output for the check); the JVM itself is warm from the cells before, as in a service that loads a second model");
    notes.add("fixtures: /usr/bin/python3 tests/fixtures/gen_onnx.py (PyTorch " + "1.13, weights=None; BN statistics from train-mode batches)");
    var header = new MarkdownReport.Header(o.date(), o.backend(), o.quick(), machine, OrtTarget.version(), command, loadBefore,
        MachineInfo.loadAverage(), notes);
    if (o.writeReport()) log.println("wrote " + MarkdownReport.write(o.out(), header, cells));
    else log.print(MarkdownReport.render(header, cells));
    return cells;
  }

  private static List<Cell> runBatch(BenchOptions o, KilnBackends.Entry backend, String model, Path dir, byte[] onnx, int batch,
                                     PrintStream log) {
    List<Cell> out = new ArrayList<>();
    Tensor input = Npy.read(dir.resolve("input_b" + batch + ".npy"));
    float[] data = input.toFloatArray();
    float[] reference = Npy.read(dir.resolve("output_b" + batch + ".npy")).toFloatArray();
    int kilnDefault = Runtime.getRuntime().availableProcessors();
    KilnLoader.Prepared prepared;
    try {
      prepared = KilnLoader.load(dir.resolve("model.pt"), input.shape(), o.optLevel());
    } catch (RuntimeException | StackOverflowError e) {
      String why = "Kiln could not import or optimize the model: " + e;
      log.println(model + " b" + batch + ": " + why);
      for (int t : o.threads()) out.add(Cell.refused(model, batch, t, kilnDefault, Cell.Setup.NONE, why));
      return out;
    }
    for (int threads : o.threads()) {
      int kilnThreads = backend.fixedThreads() > 0 ? backend.fixedThreads()
          : backend.threaded() && KilnThreads.set(threads) ? threads : kilnDefault;
      String what = model + " b" + batch + " t" + threads;
      Cell.Setup setup = null;
      // Each side's first call comes right after its own setup (ORT: the session; Kiln: compiling and instantiating,
      // afresh for every cell), so neither first call follows the other side's setup.
      long s0 = System.nanoTime();
      try (BenchTarget ort = new OrtTarget(onnx, data, input.shape(), threads)) {
        double ortSessionMs = (System.nanoTime() - s0) / 1e6;
        Race.First ortFirst = Race.first(what, ort, reference, o.tolerance());
        long c0 = System.nanoTime();
        KilnBackend.Compiled compiled;
        try {
          compiled = backend.backend().compile(prepared.graph(), prepared.weights());
        } catch (Exception | StackOverflowError e) {
          log.println(what + ": Kiln backend '" + o.backend() + "' could not compile the model: " + e);
          out.add(Cell.refused(model, batch, threads, kilnThreads, Cell.Setup.NONE, "Kiln backend '" + o.backend() + "' could not compile: " + e));
          continue;
        }
        double compileMs = (System.nanoTime() - c0) / 1e6;
        try (BenchTarget kiln = new KilnTarget("kiln-" + o.backend(), compiled, input)) {
          setup = new Cell.Setup(prepared.level(), prepared.note(), prepared.importMs(), prepared.optimizeMs(), compileMs, ortSessionMs);
          Race.First kilnFirst = Race.first(what, kiln, reference, o.tolerance());
          if (!compiled.describe().isEmpty()) log.println(what + ": kiln " + compiled.describe());
          Race.Result r = Race.race(what, kiln, kilnFirst, ort, ortFirst, reference, o.tolerance(), o.plan());
          log.printf(Locale.ROOT, "%-14s b%d t%d  kiln median %9s p90 %9s min %9s | ort median %9s p90 %9s min %9s | "
                  + "kiln/ort %6.2f | first call kiln %s ort %s ms | diff %.1e / %.1e | %d pairs%n",
              model, batch, threads, MarkdownReport.ms(r.a().medianMs()), MarkdownReport.ms(r.a().p90Ms()),
              MarkdownReport.ms(r.a().minMs()), MarkdownReport.ms(r.b().medianMs()), MarkdownReport.ms(r.b().p90Ms()),
              MarkdownReport.ms(r.b().minMs()), r.ratio(), MarkdownReport.ms(r.firstCallMsA()),
              MarkdownReport.ms(r.firstCallMsB()), r.maxAbsDiffA(), r.maxAbsDiffB(), r.pairs());
          out.add(Cell.timed(model, batch, threads, kilnThreads, setup, r));
        }
      } catch (WrongAnswerException e) {
        log.println(what + ": REFUSED: " + e.getMessage());
        out.add(Cell.refused(model, batch, threads, kilnThreads, setup != null ? setup : Cell.Setup.NONE, "wrong answer: " + e.getMessage()));
      } catch (Exception e) {
        log.println(what + ": FAILED: " + e);
        out.add(Cell.refused(model, batch, threads, kilnThreads, setup != null ? setup : Cell.Setup.NONE, e.toString()));
      }
    }
    return out;
  }
}
