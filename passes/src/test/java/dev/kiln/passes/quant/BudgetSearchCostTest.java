package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.passes.Program;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.calib.ObserverKind;
import dev.kiln.passes.quant.report.AccuracyBudget;
import dev.kiln.passes.quant.report.BudgetSearch;
import dev.kiln.passes.quant.report.QuantReport;
import dev.kiln.passes.quant.report.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What the accuracy-budget search costs: activation ranges observed once per value for the whole search (the range
 * memo gives the same parameters as a fresh calibration), and the variants run on the runner the caller gives.
 */
class BudgetSearchCostTest {
  @Test
  void memoizedRangesQuantizeAsAFreshCalibration() {
    Program f = QuantReport.named(StaticQuantizeTest.program());
    CalibrationSet set = StaticQuantizeTest.calibration(6, 3);
    QuantConfig cfg = QuantConfig.calibrated(set, ObserverKind.HISTOGRAM);
    String fresh = dev.kiln.ir.text.IrPrinter.print(QuantReport.quantize(f, cfg).graph());
    AtomicInteger samples = new AtomicInteger();
    QuantConfig counted = cfg.withProgress((s, t) -> samples.incrementAndGet());
    String[] memo = Calibrator.withMemo(() -> new String[] {
        dev.kiln.ir.text.IrPrinter.print(QuantReport.quantize(f, counted).graph()),
        dev.kiln.ir.text.IrPrinter.print(QuantReport.quantize(f, counted).graph()),
        dev.kiln.ir.text.IrPrinter.print(QuantReport.quantize(f, counted.withKeep(java.util.Set.of("conv2"))).graph())});
    assertEquals(fresh, memo[0]);
    assertEquals(fresh, memo[1]);
    assertEquals(6, samples.get(), "the second and third quantizations observe nothing new");
    assertTrue(memo[2].contains("nn.conv2d("), memo[2]);
  }

  @Test
  void everyLayerKeptButTheLastIsNeededInFloat() {
    Program f = QuantReport.named(StaticQuantizeTest.program());
    CalibrationSet set = StaticQuantizeTest.calibration(4, 5);
    QuantConfig cfg = QuantConfig.calibrated(set, ObserverKind.MINMAX);
    List<List<Object>> ref = QuantReport.floatResults(f, set);
    // A budget between the all-int8 figure and the all-float one, so that some layers must be kept.
    double all = QuantReport.endToEnd(f, QuantReport.quantize(f, cfg), set, ref, Runner.INTERPRETER).sqnrDb();
    List<String> log = new ArrayList<>();
    AccuracyBudget budget = AccuracyBudget.parse((all + 6) + "dB");
    BudgetSearch.Outcome o = BudgetSearch.search(f, cfg, set, budget, Calibrator.Progress.NONE, log::add);
    assertTrue(o.held() && budget.holds(o.result().output()), log.toString());
    assertFalse(o.kept().isEmpty(), log.toString());
    for (String layer : o.kept().subList(0, o.kept().size() - 1)) {
      java.util.Set<String> without = new java.util.HashSet<>(o.kept());
      without.remove(layer);
      QuantReport.EndToEnd e = QuantReport.endToEnd(f, QuantReport.quantize(f, cfg.withKeep(without)), set, ref, Runner.INTERPRETER);
      assertFalse(budget.holds(e), layer + " was kept though the budget holds without it: " + log);
    }
  }

  @Test
  void searchRunsItsVariantsOnTheGivenRunner() {
    Program f = QuantReport.named(StaticQuantizeTest.program());
    CalibrationSet set = StaticQuantizeTest.calibration(4, 5);
    AtomicInteger loads = new AtomicInteger();
    Runner counting = p -> {
      loads.incrementAndGet();
      return Runner.INTERPRETER.load(p);
    };
    List<String> log = new ArrayList<>();
    // An SQNR no int8 model reaches: every layer is measured alone, then kept one by one until all are float, which
    // holds (infinite SQNR); each layer kept before the last is then tried quantized again.
    BudgetSearch.Outcome o = BudgetSearch.search(f, QuantConfig.calibrated(set, ObserverKind.MINMAX), set, AccuracyBudget.parse("200dB"),
        Calibrator.Progress.NONE, log::add, counting);
    int layers = 4; // conv1, conv2, the add, fc
    assertEquals(layers, o.kept().size(), log.toString());
    // All-int8, each layer alone, each layer kept in turn (the last, all float, holds), then the first three re-quantized.
    assertEquals(1 + layers + layers + (layers - 1), loads.get(), log.toString());
    assertTrue(o.result().layers().isEmpty(), "another runner gives end-to-end figures only");
    BudgetSearch.Outcome i = BudgetSearch.search(f, QuantConfig.calibrated(set, ObserverKind.MINMAX), set, AccuracyBudget.parse("200dB"),
        Calibrator.Progress.NONE, s -> {});
    assertEquals(o.kept(), i.kept(), "the same decisions on the interpreter");
  }
}
