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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's accuracy target: resnet18 quantized statically (per-channel weights, calibrated activations, the
 * classifier's logits kept f32 with {@code float-output}) with the accuracy-budget search on keeps its top-1 class on
 * at least 99% of 200 evaluation inputs that are not calibration inputs, with most layers int8.
 *
 * <p>The model is fixtures-large/quant/resnet18_trained (tests/fixtures/gen_quant_resnet18_trained.py): torchvision's
 * resnet18 architecture with a 10-class head, trained briefly from scratch on synthetic images (no pretrained weights
 * can be downloaded here; a weak classifier, 56.5% accurate on the evaluation images), so its activations and logits
 * are a trained network's rather than a random one's. The random-weight resnet18 is measured in
 * docs/quantization.md. Float and int8 both run on the JVM backend (int8 kernels with the interpreter's bits); the
 * float top-1 is also checked against PyTorch's.
 */
@Tag("real-models")
class Resnet18StaticAccuracyTest {
  static final String BUDGET = "1%";
  static final ObserverKind OBSERVER = ObserverKind.MINMAX;

  @Test
  void budgetedStaticResnet18KeepsTop1On99PercentOfEvaluationInputs() throws IOException {
    Path root = FullSizeModels.root();
    Path dir = root == null ? null : root.resolve("quant/resnet18_trained");
    Assumptions.assumeTrue(dir != null && Files.isRegularFile(dir.resolve("eval_top1.npy")) && Files.isRegularFile(dir.resolve("model.pt")),
        "no fixtures-large/quant/resnet18_trained: run /usr/bin/python3 tests/fixtures/gen_quant_resnet18_trained.py");
    long t0 = System.nanoTime();
    var imported = TorchScriptImporter.importArchive(dir.resolve("model.pt"), List.of(Type.tensor(DType.F32, 1, 3, 224, 224)));
    Verifier.verify(imported.graph());
    Program f = QuantReport.named(PassManager.parse("shapes,fold,cse,dce,fold-bn,fold,dce").run(Program.of(imported.graph(), imported.weights())));
    CalibrationSet calib = CalibrationSet.load(dir.resolve("calib"));
    QuantConfig cfg = QuantConfig.calibrated(calib, OBSERVER).withFloatOutput(true);
    List<String> log = new ArrayList<>();
    // The search measures its variants on the JVM backend (the interpreter's own int8 convolutions take about 9 s per
    // resnet18 sample), on the calibration set.
    BudgetSearch.Outcome o = BudgetSearch.search(f, cfg, calib, AccuracyBudget.parse(BUDGET), Calibrator.Progress.NONE,
        s -> { log.add(s); System.out.println("[budget] " + s); }, p -> compile(p)::run);
    long t1 = System.nanoTime();
    int layers = QuantReport.layers(f, QuantReport.quantize(f, cfg)).size();
    System.out.printf("[figures] resnet18_trained static %s float-output, budget %s on the %d calibration inputs: kept %d of %d layers in float %s, %s (%.0f s)%n",
        OBSERVER.text(), BUDGET, calib.size(), o.kept().size(), layers, o.kept(), BudgetSearch.describe(o.result().output()), (t1 - t0) / 1e9);
    assertTrue(o.held(), "the budget search could not meet " + BUDGET + ": " + log);

    long[] want = Npy.read(dir.resolve("eval_top1.npy")).toLongArray();
    List<Path> inputs;
    try (Stream<Path> s = Files.list(dir.resolve("eval"))) {
      inputs = s.filter(p -> p.toString().endsWith(".npy")).sorted().toList();
    }
    assertEquals(want.length, inputs.size(), "eval/ and eval_top1.npy disagree on the count");
    CompiledModel fm = compile(f), qm = compile(o.result().quantized());
    // Every layer int8 too, for the record (the same as the budgeted model when the search kept nothing).
    CompiledModel all = o.kept().isEmpty() ? qm : compile(QuantReport.quantize(f, cfg));
    int agree = 0, agreeAll = 0, torchAgree = 0;
    java.util.Set<Integer> classes = new java.util.TreeSet<>();
    for (int i = 0; i < inputs.size(); i++) {
      Tensor x = Npy.read(inputs.get(i));
      int ft = argmax((Tensor) fm.run(List.of(x)).getFirst()), qt = argmax((Tensor) qm.run(List.of(x)).getFirst());
      int at = all == qm ? qt : argmax((Tensor) all.run(List.of(x)).getFirst());
      classes.add(ft);
      if (ft == qt) agree++;
      if (ft == at) agreeAll++;
      if (ft == want[i]) torchAgree++;
    }
    double agreement = (double) agree / inputs.size();
    System.out.printf("[figures] resnet18_trained int8 vs float top-1 on %d evaluation inputs (%d distinct float classes): budgeted (%d of %d layers "
        + "int8) %d agree (%.1f%%), every layer int8 %d (%.1f%%); Kiln float vs PyTorch float %d; evaluation %.0f s, total %.0f s%n", inputs.size(),
        classes.size(), layers - o.kept().size(), layers, agree, 100 * agreement, agreeAll, 100.0 * agreeAll / inputs.size(), torchAgree,
        (System.nanoTime() - t1) / 1e9, (System.nanoTime() - t0) / 1e9);
    // Kiln's float top-1 is PyTorch's up to near-ties (float summation order).
    assertTrue(torchAgree >= inputs.size() - 2, "Kiln float top-1 differs from PyTorch's on " + (inputs.size() - torchAgree) + " inputs");
    assertTrue(classes.size() >= 5, "the float top-1 reaches only " + classes.size() + " of 10 classes (the batch-norm trap?)");
    assertTrue(agreement >= 0.99, String.format("top-1 agreement %.1f%% (%d of %d) below 99%%; kept %s", 100 * agreement, agree, inputs.size(), o.kept()));
    // A model with most layers in float would meet any budget: the quantized model must stay mostly int8.
    assertTrue(o.kept().size() * 4 <= layers, "kept " + o.kept().size() + " of " + layers + " layers in float: " + o.kept());
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
