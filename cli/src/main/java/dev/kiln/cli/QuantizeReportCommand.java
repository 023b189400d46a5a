package dev.kiln.cli;

import dev.kiln.passes.Program;
import dev.kiln.passes.quant.QuantConfig;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.report.BudgetSearch;
import dev.kiln.passes.quant.report.QuantReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kiln quantize-report MODEL --calibrate DIR}: quantizes a copy of the model (static by default) and prints,
 * per quantized layer, the error of its output against the float model on the calibration set (SQNR, max and mean
 * absolute error), then the model output's error and, for a classifier, the top-1 agreement. With
 * {@code --accuracy-budget} the most sensitive layers are kept in float until the budget holds.
 */
@Command(name = "quantize-report", description = "Per-layer and end-to-end error of int8 quantization on a calibration set.")
final class QuantizeReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "A .kir, .pt or .py model.")
  Path file;

  @Option(names = {"-i", "--input"}, paramLabel = "X.npy", description = "For .pt/.py without --input-type: sample inputs that give the input types.")
  List<Path> inputs = new ArrayList<>();

  @Mixin ModelLoader.Options load = new ModelLoader.Options();

  @Mixin OptLevelOptions optimize = new OptLevelOptions();

  @Mixin QuantOptions quant = new QuantOptions();

  @Override public Integer call() throws IOException {
    if (quant.mode == null) quant.mode = "static";
    if (quant.calibrate == null) throw new CliException("quantize-report needs --calibrate DIR (a folder of .npy inputs)");
    QuantConfig cfg = quant.config();
    PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
    ModelLoader.Loaded m = ModelLoader.load(file, load, inputs);
    String pipeline = optimize.pipeline(dev.kiln.passes.Pipelines.level(1));
    CalibrationSet set = QuantOptions.load(cfg);
    QuantReport.Result r;
    List<String> kept = List.of();
    if (quant.budget != null) {
      BudgetSearch.Outcome o = quant.budgetSearch(pipeline, cfg, Program.of(m.graph(), m.weights()), err);
      r = o.result();
      kept = o.kept();
    } else {
      Program f = QuantReport.named(QuantOptions.run(String.join(",", QuantOptions.prefix(pipeline, cfg)), Program.of(m.graph(), m.weights())));
      QuantConfig withSet = new QuantConfig(cfg.mode(), cfg.perChannel(), cfg.keep(), cfg.observer(), set, null, Calibrator.Progress.NONE, cfg.floatOutput());
      r = QuantReport.run(f, withSet, set, new ProgressBar(err, "measuring"));
    }
    print(out, cfg, set, r, kept);
    out.flush();
    return 0;
  }

  private void print(PrintWriter out, QuantConfig cfg, CalibrationSet set, QuantReport.Result r, List<String> kept) {
    String mode = cfg.mode() == QuantConfig.Mode.STATIC ? "static, " + cfg.observer().text() + " observer" + (cfg.floatOutput() ? ", float output" : "") : "dynamic";
    out.printf("quantization report: %s (%s, per-channel weights), %d calibration samples from %s%n", file.getFileName(), mode,
        set.size(), cfg.calibrationDir());
    int w = Math.max(5, r.layers().stream().mapToInt(l -> l.layer().length()).max().orElse(5));
    int ow = Math.max(2, r.layers().stream().mapToInt(l -> l.op().length()).max().orElse(2));
    out.printf("%-" + w + "s  %-" + ow + "s  %9s  %10s  %10s%n", "layer", "op", "SQNR dB", "max abs", "mean abs");
    for (QuantReport.LayerError l : r.layers())
      out.printf("%-" + w + "s  %-" + ow + "s  %9.2f  %10.3e  %10.3e%n", l.layer(), l.op(), l.sqnrDb(), l.maxAbs(), l.meanAbs());
    if (r.layers().isEmpty()) out.println("(no layer was quantized)");
    QuantReport.EndToEnd e = r.output();
    out.printf("output: SQNR %.2f dB, max abs %.3e, mean abs %.3e, relative L2 %.4f%n", e.sqnrDb(), e.maxAbs(), e.meanAbs(), e.relativeL2());
    if (e.classification())
      out.printf("top-1 agreement: %d of %d rows (%.1f%%)%n", Math.round(e.top1Agreement() * e.rows()), e.rows(), 100 * e.top1Agreement());
    if (quant.budget != null) out.println("kept in float: " + (kept.isEmpty() ? "none" : String.join(", ", kept)));
  }
}
