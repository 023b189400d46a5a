package dev.kiln.tests.realmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.DType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.quant.QuantConfig;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.calib.ObserverKind;
import dev.kiln.passes.quant.report.AccuracyBudget;
import dev.kiln.passes.quant.report.BudgetSearch;
import dev.kiln.passes.quant.report.QuantReport;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's accuracy target: resnet18 (fixtures-large/onnx/resnet18/model.pt, random weights with measured batch-norm
 * statistics) quantized statically with calibration and the accuracy-budget search keeps its top-1 class on at least
 * 99% of 200 evaluation inputs that are not calibration inputs (fixtures-large/quant/resnet18/, written by
 * tests/fixtures/gen_quant_resnet18.py). Float and int8 both run on the JVM backend (the interpreter is the search's
 * own measuring tool); the float top-1 is also checked against PyTorch's.
 */
@Tag("real-models")
@Disabled("issue 8's target is not met (measured 2026-11-24): the 1% budget holds on the 32 calibration inputs only with 26 of "
    + "29 layers kept in float, and agreement on the 200 evaluation inputs is then 98.0% (196); a random-weight resnet18's "
    + "top-1/top-2 logit gaps are tiny (median 0.074 against a logit spread of 0.85), see docs/quantization.md. About 20 min.")
class Resnet18StaticAccuracyTest {
  static final String BUDGET = "1%";
  static final ObserverKind OBSERVER = ObserverKind.MINMAX;

  @Test
  void budgetedStaticResnet18KeepsTop1On99PercentOfEvaluationInputs() throws IOException {
    Path root = FullSizeModels.root();
    Assumptions.assumeTrue(root != null && Files.isDirectory(root.resolve("quant/resnet18/eval")) && Files.isRegularFile(root.resolve("onnx/resnet18/model.pt")),
        "no fixtures-large/quant/resnet18 or onnx/resnet18: run /usr/bin/python3 tests/fixtures/gen_onnx.py resnet18, then tests/fixtures/gen_quant_resnet18.py");
    Path dir = root.resolve("quant/resnet18");
    long t0 = System.nanoTime();
    var imported = TorchScriptImporter.importArchive(root.resolve("onnx/resnet18/model.pt"), List.of(Type.tensor(DType.F32, 1, 3, 224, 224)));
    Verifier.verify(imported.graph());
    Program f = QuantReport.named(PassManager.parse("shapes,fold,cse,dce,fold-bn,fold,dce").run(Program.of(imported.graph(), imported.weights())));
    CalibrationSet calib = CalibrationSet.load(dir.resolve("calib"));
    CalibrationSet measure = calib;
    List<String> log = new ArrayList<>();
    // The search measures its variants on the JVM backend (int8 kernels with the interpreter's bits; the interpreter's
    // own int8 convolutions take about 9 s per resnet18 sample).
    BudgetSearch.Outcome o = BudgetSearch.search(f, QuantConfig.calibrated(calib, OBSERVER), measure, AccuracyBudget.parse(BUDGET),
        Calibrator.Progress.NONE, s -> { log.add(s); System.out.println("[budget] " + s); }, p -> compile(p)::run);
    long t1 = System.nanoTime();
    System.out.printf("[figures] resnet18 static %s, budget %s on %d of %d calibration inputs: kept %s, %s (%.0f s)%n", OBSERVER.text(), BUDGET,
        measure.size(), calib.size(), o.kept(), BudgetSearch.describe(o.result().output()), (t1 - t0) / 1e9);
    assertTrue(o.held(), "the budget search could not meet " + BUDGET + ": " + log);

    CompiledModel fm = compile(f), qm = compile(o.result().quantized());
    long[] want = Npy.read(dir.resolve("eval_top1.npy")).toLongArray();
    List<Path> inputs;
    try (Stream<Path> s = Files.list(dir.resolve("eval"))) {
      inputs = s.filter(p -> p.toString().endsWith(".npy")).sorted().toList();
    }
    assertEquals(want.length, inputs.size(), "eval/ and eval_top1.npy disagree on the count");
    int agree = 0, torchAgree = 0;
    java.util.Set<Integer> classes = new java.util.TreeSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      Tensor x = Npy.read(inputs.get(i));
      int ft = argmax((Tensor) fm.run(List.of(x)).getFirst()), qt = argmax((Tensor) qm.run(List.of(x)).getFirst());
      classes.add(ft);
      if (ft == qt) agree++;
      if (ft == want[i]) torchAgree++;
    }
    double agreement = (double) agree / inputs.size();
    System.out.printf("[figures] resnet18 static int8 vs float top-1 on %d evaluation inputs (%d distinct float classes): %d agree (%.1f%%); "
        + "Kiln float vs PyTorch float %d; evaluation %.0f s%n", inputs.size(), classes.size(), agree, 100 * agreement, torchAgree,
        (System.nanoTime() - t1) / 1e9);
    // Kiln's float top-1 is PyTorch's up to near-ties (float summation order).
    assertTrue(torchAgree >= inputs.size() - 2, "Kiln float top-1 differs from PyTorch's on " + (inputs.size() - torchAgree) + " inputs");
    assertTrue(classes.size() >= 20, "the evaluation set reaches only " + classes.size() + " classes");
    assertTrue(agreement >= 0.99, String.format("top-1 agreement %.1f%% (%d of %d) below 99%%; kept %s", 100 * agreement, agree, inputs.size(), o.kept()));
  }

  private static CompiledModel compile(Program p) {
    Program q = PassManager.parse("fuse,nhwc,plan-memory").run(QuantReport.named(p));
    return JvmBackend.compile(q.graph(), q.weights(), JvmOptions.defaults()).instantiate(q.weights());
  }

  private static int argmax(Tensor t) {
    float[] v = t.toFloatArray();
    int best = 0;
    for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
    return best;
  }
}
