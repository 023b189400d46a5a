package dev.kiln.passes.quant.report;

import dev.kiln.passes.Program;
import dev.kiln.passes.quant.QuantConfig;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Keeps the most sensitive layers in float, one at a time, until the end-to-end error is within an
 * {@link AccuracyBudget}. A layer's sensitivity is the output SQNR of the model with only that layer quantized
 * (lowest first); after each layer kept, the model is quantized and measured again.
 */
public final class BudgetSearch {
  private BudgetSearch() {}

  /** The last quantization measured, the layers kept in float (in the order chosen) and whether the budget held. */
  public record Outcome(QuantReport.Result result, List<String> kept, boolean held) {}

  /**
   * @param floatNamed the float program with every value named ({@link QuantReport#named}); not changed
   * @param log told one line per decision (not null)
   */
  public static Outcome search(Program floatNamed, QuantConfig cfg, CalibrationSet set, AccuracyBudget budget,
      Calibrator.Progress progress, Consumer<String> log) {
    QuantReport.Result r = QuantReport.run(floatNamed, cfg, set, progress);
    if (budget.holds(r.output())) return new Outcome(r, List.of(), true);
    List<String> layers = r.layers().stream().map(QuantReport.LayerError::layer).distinct().toList();
    log.accept("budget " + budget.text() + " not met with every layer quantized (" + describe(r.output()) + "); measuring "
        + layers.size() + " layers one by one");
    List<double[]> sensitivity = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Set<String> others = new LinkedHashSet<>(layers);
      others.remove(layers.get(i));
      others.addAll(cfg.keep());
      QuantReport.Result alone = QuantReport.run(floatNamed, cfg.withKeep(others), set, Calibrator.Progress.NONE);
      sensitivity.add(new double[] {i, alone.output().sqnrDb()});
    }
    sensitivity.sort(Comparator.comparingDouble(a -> a[1]));
    Set<String> keep = new LinkedHashSet<>(cfg.keep());
    List<String> kept = new ArrayList<>();
    for (double[] s : sensitivity) {
      String layer = layers.get((int) s[0]);
      keep.add(layer);
      kept.add(layer);
      r = QuantReport.run(floatNamed, cfg.withKeep(keep), set, Calibrator.Progress.NONE);
      log.accept(String.format("keeping %s in float (output SQNR %.1f dB with it alone quantized): %s", layer, s[1], describe(r.output())));
      if (budget.holds(r.output())) return new Outcome(r, kept, true);
    }
    return new Outcome(r, kept, false);
  }

  /** One line: SQNR, relative L2 and top-1 agreement when a classifier. */
  public static String describe(QuantReport.EndToEnd e) {
    String s = String.format("output SQNR %.1f dB, relative L2 %.4f", e.sqnrDb(), e.relativeL2());
    if (e.classification()) s += String.format(", top-1 agreement %.1f%% of %d rows", 100 * e.top1Agreement(), e.rows());
    return s;
  }
}
