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
 * (lowest first), measured on the first {@link #SENSITIVITY_SAMPLES} samples; after each layer kept, the model is
 * quantized and measured again on the whole set. When the budget holds, the layers kept before the last are tried
 * quantized again one by one and stay quantized when the budget still holds ({@link #prune}).
 *
 * <p>Cost: the float model runs once per sample for the whole search, and activation ranges are observed once per
 * value ({@link Calibrator#withMemo}); each variant measured costs one quantization and one run of the quantized
 * model per sample, on the {@link Runner} given (the reference interpreter unless the caller has a faster one).
 */
public final class BudgetSearch {
  private BudgetSearch() {}

  /** Samples the per-layer sensitivities are measured on (a ranking, not the budget check). */
  public static final int SENSITIVITY_SAMPLES = 8;

  /** The last quantization measured, the layers kept in float (in the order chosen) and whether the budget held. */
  public record Outcome(QuantReport.Result result, List<String> kept, boolean held) {}

  /** {@link #search(Program, QuantConfig, CalibrationSet, AccuracyBudget, Calibrator.Progress, Consumer, Runner)} on the interpreter. */
  public static Outcome search(Program floatNamed, QuantConfig cfg, CalibrationSet set, AccuracyBudget budget,
      Calibrator.Progress progress, Consumer<String> log) {
    return search(floatNamed, cfg, set, budget, progress, log, Runner.INTERPRETER);
  }

  /**
   * @param floatNamed the float program with every value named ({@link QuantReport#named}); not changed
   * @param set the samples the budget is checked on (the calibration set of {@code cfg} may be another)
   * @param log told one line per decision (not null)
   * @param runner runs the quantized variants; with {@link Runner#INTERPRETER} the outcome's result has the per-layer
   *     figures ({@link QuantReport#measure}), with another runner its layer list is empty (probing needs the interpreter)
   */
  public static Outcome search(Program floatNamed, QuantConfig cfg, CalibrationSet set, AccuracyBudget budget,
      Calibrator.Progress progress, Consumer<String> log, Runner runner) {
    return Calibrator.withMemo(() -> searchMemo(floatNamed, cfg.withProgress(progress), set, budget, log, runner));
  }

  private static Outcome searchMemo(Program floatNamed, QuantConfig cfg, CalibrationSet set, AccuracyBudget budget,
      Consumer<String> log, Runner runner) {
    Program all = QuantReport.quantize(floatNamed, cfg);
    cfg = cfg.withProgress(Calibrator.Progress.NONE);
    List<List<Object>> floatAll = QuantReport.floatResults(floatNamed, set);
    QuantReport.EndToEnd e = QuantReport.endToEnd(floatNamed, all, set, floatAll, runner);
    if (budget.holds(e)) return new Outcome(result(floatNamed, all, set, e, runner), List.of(), true);
    List<String> layers = QuantReport.layers(floatNamed, all);
    CalibrationSet few = set.size() <= SENSITIVITY_SAMPLES ? set : new CalibrationSet(set.samples().subList(0, SENSITIVITY_SAMPLES));
    log.accept("budget " + budget.text() + " not met with every layer quantized (" + describe(e) + "); measuring "
        + layers.size() + " layers one by one on " + few.size() + " samples");
    List<List<Object>> floatFew = floatAll.subList(0, few.size());
    List<double[]> sensitivity = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Set<String> others = new LinkedHashSet<>(layers);
      others.remove(layers.get(i));
      others.addAll(cfg.keep());
      Program alone = QuantReport.quantize(floatNamed, cfg.withKeep(others));
      sensitivity.add(new double[] {i, QuantReport.endToEnd(floatNamed, alone, few, floatFew, runner).sqnrDb()});
    }
    sensitivity.sort(Comparator.comparingDouble(a -> a[1]));
    Set<String> keep = new LinkedHashSet<>(cfg.keep());
    List<String> kept = new ArrayList<>();
    Program q = all;
    for (double[] s : sensitivity) {
      String layer = layers.get((int) s[0]);
      keep.add(layer);
      kept.add(layer);
      q = QuantReport.quantize(floatNamed, cfg.withKeep(keep));
      e = QuantReport.endToEnd(floatNamed, q, set, floatAll, runner);
      log.accept(String.format("keeping %s in float (output SQNR %.1f dB with it alone quantized): %s", layer, s[1], describe(e)));
      if (budget.holds(e)) return prune(floatNamed, cfg, set, budget, log, runner, floatAll, keep, kept, q, e);
    }
    return new Outcome(result(floatNamed, q, set, e, runner), kept, false);
  }

  /**
   * Once the budget holds, each layer kept before the last one is quantized again, the earliest kept first, and left
   * quantized when the budget still holds without it: the order comes from each layer's sensitivity alone, and a
   * layer needed for the first kept ones may not be needed once the later ones are float.
   */
  private static Outcome prune(Program floatNamed, QuantConfig cfg, CalibrationSet set, AccuracyBudget budget, Consumer<String> log,
      Runner runner, List<List<Object>> floatAll, Set<String> keep, List<String> kept, Program q, QuantReport.EndToEnd e) {
    List<String> chosen = new ArrayList<>(kept);
    for (String layer : kept.subList(0, kept.size() - 1)) {
      Set<String> without = new LinkedHashSet<>(keep);
      without.remove(layer);
      Program p = QuantReport.quantize(floatNamed, cfg.withKeep(without));
      QuantReport.EndToEnd pe = QuantReport.endToEnd(floatNamed, p, set, floatAll, runner);
      boolean holds = budget.holds(pe);
      log.accept(String.format("quantizing %s again: %s, %s", layer, describe(pe), holds ? "the budget still holds" : "needed in float"));
      if (holds) {
        keep = without;
        chosen.remove(layer);
        q = p;
        e = pe;
      }
    }
    return new Outcome(result(floatNamed, q, set, e, runner), chosen, true);
  }

  /** The result for the chosen variant: measured layer by layer on the interpreter, else the end-to-end figures only. */
  private static QuantReport.Result result(Program floatNamed, Program q, CalibrationSet set, QuantReport.EndToEnd e, Runner runner) {
    if (runner == Runner.INTERPRETER) return QuantReport.measure(floatNamed, q, set, Calibrator.Progress.NONE);
    return new QuantReport.Result(q, List.of(), e);
  }

  /** One line: SQNR, relative L2 and top-1 agreement when a classifier. */
  public static String describe(QuantReport.EndToEnd e) {
    String s = String.format("output SQNR %.1f dB, relative L2 %.4f", e.sqnrDb(), e.relativeL2());
    if (e.classification()) s += String.format(", top-1 agreement %.1f%% of %d rows", 100 * e.top1Agreement(), e.rows());
    return s;
  }
}
