package dev.kiln.bench;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The rows of one model at one batch: Kiln's programs prepared once, then one check-and-race per backend. */
final class QuantCells {
  private QuantCells() {}

  static List<QuantRow> run(QuantModel m, int batch, QuantSideBySide.Options o, TorchTimes.Row torch, PrintStream log) throws Exception {
    List<QuantRow> rows = new ArrayList<>();
    Tensor input = QuantSideBySide.input(m, batch);
    float[] data = input.toFloatArray();
    float[] ref = Npy.read(m.floatDir().resolve("output_b" + batch + ".npy")).toFloatArray();
    float[] torchInt8 = m.torchInt8(batch);
    String what = m.name() + " b" + batch;
    QuantModel.Programs p;
    try {
      p = m.prepare(input.shape());
    } catch (RuntimeException | StackOverflowError e) {
      log.println(what + ": Kiln could not import or quantize: " + e);
      for (String b : o.backends()) rows.add(QuantRow.refused(m.name(), m.mode(), batch, b, torch, "import/quantize failed: " + e));
      return rows;
    }
    log.printf(Locale.ROOT, "%s: import %.0f ms, -O2 %.0f ms, -O2 + %s %.0f ms%n", what, p.importMs(), p.fp32Ms(), m.quantizeEntry(), p.int8Ms());
    byte[] onnx = Files.readAllBytes(m.floatDir().resolve("model.onnx"));
    byte[] onnxInt8 = m.int8Onnx() == null ? null : Files.readAllBytes(m.int8Onnx());
    for (String backendName : o.backends()) {
      KilnBackends.Entry backend = KilnBackends.get(backendName);
      String cell = what + " " + backendName;
      List<BenchTarget> targets = new ArrayList<>();
      try {
        KilnBackend.Compiled f = backend.backend().compile(p.fp32().graph(), p.fp32().weights());
        targets.add(new KilnTarget("kiln-fp32", f, input));
        KilnBackend.Compiled q = backend.backend().compile(p.int8().graph(), p.int8().weights());
        if (!q.describe().isEmpty()) log.println(cell + ": kiln int8 " + q.describe().lines().findFirst().orElse(""));
        targets.add(new KilnTarget("kiln-int8", q, input));
        targets.add(new OrtTarget(onnx, data, input.shape(), 1));
        if (onnxInt8 != null) targets.add(new OrtTarget(onnxInt8, data, input.shape(), 1));
        rows.add(race(m, batch, backendName, targets, ref, torchInt8, torch, o.plan(), log));
      } catch (WrongAnswerException e) {
        log.println(cell + ": REFUSED: " + e.getMessage());
        rows.add(QuantRow.refused(m.name(), m.mode(), batch, backendName, torch, "wrong answer: " + e.getMessage()));
      } catch (Exception | StackOverflowError e) {
        log.println(cell + ": FAILED: " + e);
        rows.add(QuantRow.refused(m.name(), m.mode(), batch, backendName, torch, e.toString()));
      } finally {
        for (BenchTarget t : targets) t.close();
      }
    }
    return rows;
  }

  /** Checks every output, then races; targets are kiln-fp32, kiln-int8, ort fp32 and possibly ort int8, in order. */
  private static QuantRow race(QuantModel m, int batch, String backend, List<BenchTarget> t, float[] ref, float[] torchInt8,
                               TorchTimes.Row torch, Race.Plan plan, PrintStream log) {
    String what = m.name() + " b" + batch + " " + backend;
    double tol = QuantSideBySide.INT8_TOLERANCE;
    OutputCheck.maxAbsDiff("kiln-fp32 " + what, t.get(0).run(true), ref, 1e-3);
    float[] q = t.get(1).run(true), kf = t.get(0).run(true);
    double int8VsFp32 = relL2(what + ": kiln int8 vs kiln fp32", q, kf, tol);
    double vsTorch = Double.NaN;
    if (torchInt8 != null) {
      relL2(what + ": kiln int8 vs PyTorch int8", q, torchInt8, tol);
      vsTorch = maxAbs(q, torchInt8);
    }
    OutputCheck.maxAbsDiff("ort " + what, t.get(2).run(true), ref, 1e-3);
    double ortInt8 = t.size() > 3 ? relL2(what + ": ort int8 vs PyTorch float", t.get(3).run(true), ref, tol) : Double.NaN;
    RoundRobin.Result r = RoundRobin.run(t, plan);
    float[] again = t.get(1).run(true);
    if (!java.util.Arrays.equals(again, q)) throw new WrongAnswerException(what + ": kiln int8 gave other bits after timing");
    LatencyStats ortQ = t.size() > 3 ? r.stats().get(3) : null;
    QuantRow row = new QuantRow(m.name(), m.mode(), batch, backend, r.stats().get(0), r.stats().get(1), r.stats().get(2), ortQ, torch,
        int8VsFp32, vsTorch, ortInt8, r.rounds(), null);
    log.printf(Locale.ROOT, "%-22s kiln fp32 %s int8 %s (x%.2f) | ort fp32 %s int8 %s | int8 vs fp32 relL2 %.4f, vs PyTorch int8 max abs %.1e | %d rounds%n",
        what, MarkdownReport.ms(row.kilnFp32().medianMs()), MarkdownReport.ms(row.kilnInt8().medianMs()),
        row.kilnFp32().medianMs() / row.kilnInt8().medianMs(), MarkdownReport.ms(row.ortFp32().medianMs()),
        ortQ == null ? "-" : MarkdownReport.ms(ortQ.medianMs()), int8VsFp32, vsTorch, r.rounds());
    return row;
  }

  static double maxAbs(float[] a, float[] b) {
    double w = 0;
    for (int i = 0; i < a.length; i++) w = Math.max(w, Math.abs((double) a[i] - b[i]));
    return w;
  }

  /** ||got - want|| / ||want||; throws when over {@code tol} or the sizes differ. */
  static double relL2(String what, float[] got, float[] want, double tol) {
    if (got.length != want.length) throw new WrongAnswerException(what + ": " + got.length + " elements, reference has " + want.length);
    double n = 0, s = 0;
    for (int i = 0; i < got.length; i++) {
      double d = (double) got[i] - want[i];
      n += d * d;
      s += (double) want[i] * want[i];
    }
    double r = s == 0 ? Math.sqrt(n) : Math.sqrt(n / s);
    if (!(r <= tol)) throw new WrongAnswerException(String.format(Locale.ROOT, "%s: relative L2 error %.4f over %.2f; not timing it", what, r, tol));
    return r;
  }
}
