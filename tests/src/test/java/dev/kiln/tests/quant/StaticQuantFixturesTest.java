package dev.kiln.tests.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrPrinter;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * quantize=static on the CNN fixture (tests/fixtures/models/cnn, batch norms folded first) calibrated on
 * tests/fixtures/quant/calib/cnn, and quantize=dynamic on the transformer fixture: int8 against float with the
 * reference interpreter, and the accuracy-budget search.
 */
class StaticQuantFixturesTest {
  static final Path MODELS = Path.of("fixtures/models"), CALIB = Path.of("fixtures/quant/calib");

  static Program load(String model, Tensor x, String pipeline) {
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(MODELS.resolve(model).resolve("scripted.pt"),
        List.of(Type.tensor(x.dtype(), x.shape())));
    return QuantReport.named(PassManager.parse(pipeline).run(Program.of(m.graph(), m.weights())));
  }

  static Program cnn() {
    return load("cnn", Npy.read(CALIB.resolve("cnn/00.npy")), "shapes,fold,cse,dce,fold-bn,fold,dce");
  }

  @ParameterizedTest
  @EnumSource(ObserverKind.class)
  void cnnStaysWithin28dBAndKeepsTheClasses(ObserverKind kind) {
    Program f = cnn();
    CalibrationSet set = CalibrationSet.load(CALIB.resolve("cnn"));
    QuantReport.Result r = QuantReport.run(f, QuantConfig.calibrated(set, kind), set, Calibrator.Progress.NONE);
    Verifier.verify(r.quantized().graph());
    String text = IrPrinter.print(r.quantized().graph());
    assertEquals(3, text.split("q\\.conv2d_relu\\(", -1).length - 1, text);
    assertTrue(text.contains("q.linear("), text);
    assertFalse(text.contains("nn.conv2d"), text);
    System.out.printf("[figures] cnn static %s: %s; layers %s%n", kind.text(), BudgetSearch.describe(r.output()), r.layers());
    assertTrue(r.output().sqnrDb() > 28, kind + ": " + r.output());
    assertTrue(r.output().top1Agreement() >= 15.0 / 16, kind + ": " + r.output());
    assertEquals(4, r.layers().size());
  }

  @Test
  void jvmBackendRunsTheQuantizedCnnAsTheInterpreter() {
    Program f = cnn();
    CalibrationSet set = CalibrationSet.load(CALIB.resolve("cnn"));
    Program q = QuantReport.quantize(f, QuantConfig.calibrated(set, ObserverKind.MINMAX));
    q = PassManager.parse("fuse,nhwc,plan-memory").run(q);
    var model = dev.kiln.codegen.jvm.JvmBackend.compile(q.graph(), q.weights(), dev.kiln.codegen.jvm.JvmOptions.defaults())
        .instantiate(q.weights());
    var interp = new dev.kiln.runtime.interp.Interpreter(q.graph(), q.weights());
    for (CalibrationSet.Sample s : set.samples()) {
      Tensor want = (Tensor) interp.run(s.inputs()).getFirst(), got = (Tensor) model.run(s.inputs()).getFirst();
      assertEquals(0.0, got.maxAbsDiff(want), s.name());
    }
  }

  @Test
  void budgetKeepsTheMostSensitiveLayersUntilItHolds() {
    Program f = cnn();
    CalibrationSet set = CalibrationSet.load(CALIB.resolve("cnn"));
    List<String> log = new ArrayList<>();
    BudgetSearch.Outcome o = BudgetSearch.search(f, QuantConfig.calibrated(set, ObserverKind.MINMAX), set, AccuracyBudget.parse("38dB"),
        Calibrator.Progress.NONE, log::add);
    System.out.println("[figures] cnn static budget 38dB: kept " + o.kept() + "; " + log);
    assertTrue(o.held(), log.toString());
    assertFalse(o.kept().isEmpty(), "all layers quantized give about 33 dB, below the budget");
    assertTrue(o.result().output().sqnrDb() >= 38);
    String text = IrPrinter.print(o.result().quantized().graph());
    assertEquals(3 - o.kept().stream().filter(l -> l.startsWith("conv")).count(), text.split("q\\.conv2d_relu\\(", -1).length - 1, text);
    // A budget that already holds keeps nothing.
    assertTrue(BudgetSearch.search(f, QuantConfig.calibrated(set, ObserverKind.MINMAX), set, AccuracyBudget.parse("5%"),
        Calibrator.Progress.NONE, log::add).kept().isEmpty());
  }

  @Test
  void transformerProjectionsQuantizeDynamically() {
    Tensor x = Npy.read(MODELS.resolve("transformer/input.npy"));
    Program f = load("transformer", x, "shapes,fold,cse,dce");
    QuantReport.Result r = QuantReport.run(f, QuantConfig.dynamic(), CalibrationSet.of(List.of(x)), Calibrator.Progress.NONE);
    String text = IrPrinter.print(r.quantized().graph());
    // in_proj, out_proj, linear1, linear2 (PyTorch's quantize_dynamic would leave the two attention projections float)
    assertEquals(4, text.split("q\\.linear_dynamic\\(", -1).length - 1, text);
    System.out.printf("[figures] transformer dynamic: %s%n", BudgetSearch.describe(r.output()));
    assertTrue(r.output().relativeL2() < 0.02, r.output().toString());
  }
}
