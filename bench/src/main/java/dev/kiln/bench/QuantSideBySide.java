package dev.kiln.bench;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Int8 against fp32, per model and Kiln backend, in one process: Kiln -O2 float, Kiln -O2 quantized (mlp and lstm
 * dynamic, cnn and resnet18 static with calibration), ONNX Runtime on the float ONNX model and on an int8 ONNX model
 * when one could be built, called in turn round after round ({@link RoundRobin}); PyTorch's own float and int8 medians
 * (qnnpack, measured by bench/pytorch_quant_bench.py just before) go in the same table ({@link QuantTable}).
 *
 * <p>Before timing, each row checks: Kiln fp32 against PyTorch's float output ({@link OutputCheck}, 1e-3 relative);
 * Kiln int8 against Kiln fp32 (relative L2 error at most {@link #INT8_TOLERANCE}); Kiln int8 against PyTorch's int8
 * output (relative L2 at most {@link #INT8_TOLERANCE}: same scheme, but static models calibrate their own ranges);
 * ORT int8 against PyTorch float (the same bound). After timing, Kiln int8 must give the same bits again.
 *
 * <p>Run with {@code bench/quant-side-by-side.sh}. Exit code 0 when every row was timed, 1 otherwise, 2 for bad
 * options.
 */
public final class QuantSideBySide {
  private QuantSideBySide() {}

  /** Largest relative L2 error of an int8 output against its float (or PyTorch int8) reference. */
  static final double INT8_TOLERANCE = 0.15;

  record Options(List<String> models, List<String> backends, List<Integer> batches, double seconds, Path fixtures, Path out,
                 Path torch, boolean report, String date) {
    static final String USAGE = """
        usage: QuantSideBySide [--models mlp,lstm,cnn,resnet18; also mlp_large,lstm_large] [--backends interp,jvm,llvm] [--batches 1]
                               [--seconds 3] [--fixtures fixtures-large/quant/bench] [--out bench/results]
                               [--torch FILE (bench/pytorch_quant_bench.py output)] [--no-report] [--date YYYY-MM-DD]""";

    static Options parse(String[] args) {
      List<String> models = List.of("mlp", "lstm", "cnn", "resnet18"), backends = List.of("interp", "jvm", "llvm");
      List<Integer> batches = List.of(1);
      double seconds = 3;
      Path fixtures = Path.of("fixtures-large/quant/bench"), out = Path.of("bench/results"), torch = null;
      boolean report = true;
      String date = LocalDate.now().toString();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--no-report")) { report = false; continue; }
        if (a.equals("--help")) throw new IllegalArgumentException(USAGE);
        if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
        String v = args[++i];
        try {
          switch (a) {
            case "--models" -> models = List.of(v.split(","));
            case "--backends" -> backends = List.of(v.split(","));
            case "--batches" -> batches = Arrays.stream(v.split(",")).map(Integer::valueOf).toList();
            case "--seconds" -> seconds = Double.parseDouble(v);
            case "--fixtures" -> fixtures = Path.of(v);
            case "--out" -> out = Path.of(v);
            case "--torch" -> torch = Path.of(v);
            case "--date" -> date = v;
            default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(a + " " + v + ": not a number\n" + USAGE);
        }
      }
      for (String b : backends) KilnBackends.get(b);
      return new Options(models, backends, batches, seconds, fixtures, out, torch, report, date);
    }

    Race.Plan plan() { return new Race.Plan(2, (long) (seconds * 1e9), 5, 5000); }
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    String command = System.getenv().getOrDefault("KILN_BENCH_COMMAND", "java dev.kiln.bench.QuantSideBySide " + String.join(" ", args));
    List<QuantRow> rows = run(o, command, System.out);
    System.exit(rows.stream().allMatch(QuantRow::timed) ? 0 : 1);
  }

  static List<QuantRow> run(Options o, String command, PrintStream log) throws Exception {
    String loadBefore = MachineInfo.loadAverage();
    MachineInfo machine = MachineInfo.probe();
    TorchTimes torch = o.torch() == null ? TorchTimes.NONE : TorchTimes.read(o.torch());
    boolean kilnOneThread = KilnThreads.set(1);
    log.printf(Locale.ROOT, "Kiln fp32 vs int8 (%s) with ONNX Runtime %s and PyTorch %s on %s, %d cores; load %s%n",
        String.join(",", o.backends()), OrtTarget.version(), torch.version(), machine.cpu(), machine.cores(), loadBefore);
    List<QuantRow> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (String name : o.models()) {
      QuantModel m = QuantModel.of(o.fixtures(), name);
      if (m.int8Onnx() == null) notes.add(name + ": no int8 ONNX model: " + m.noOnnxReason());
      for (int batch : o.batches()) {
        if (!m.runsAt(batch)) {
          notes.add(name + " b" + batch + " skipped: a static model runs at its calibration inputs' batch (1)");
          continue;
        }
        rows.addAll(QuantCells.run(m, batch, o, torch.get(name, batch), log));
      }
    }
    notes.add("threads: Kiln " + (kilnOneThread ? "1 (runtime.kernels.Threads)" : "its own pool") + ", ONNX Runtime intra-op 1, PyTorch "
        + "torch.set_num_threads(1); the interp backend uses its own all-core pool whatever the setting");
    notes.add("Kiln: model.pt imported at the input's shape, -O2 (fp32), -O2 with quantize=dynamic or quantize=static;calibrate=calib/;"
        + "observer=minmax inserted before fuse (int8; per-channel qint8 weights, quint8 activations)");
    notes.add("ONNX Runtime 1: model.onnx (opset 17); int8: model_int8.onnx (gen_quant_bench.py: QDQ export of PyTorch's quantized "
        + "model for static models, DynamicQuantizeLinear + MatMulInteger for the mlp); ALL_OPT, inter-op 1, no spinning");
    notes.add("PyTorch " + torch.version() + ": bench/pytorch_quant_bench.py, TorchScript float model.pt and torch_int8.pt "
        + "(quantize_dynamic / FX convert_fx, qnnpack), float and int8 alternating, run just before the Java side");
    notes.add("checks before timing: Kiln fp32 vs PyTorch float within 1e-3 relative; int8 outputs within relative L2 "
        + INT8_TOLERANCE + " of their float reference and of PyTorch's int8 output; after timing Kiln int8 gives the same bits");
    var header = new QuantTable.Header(o.date(), machine, OrtTarget.version(), torch.version(), command, loadBefore, MachineInfo.loadAverage(), notes);
    String text = QuantTable.render(header, rows);
    if (o.report()) {
      Files.createDirectories(o.out());
      Path file = o.out().resolve(o.date() + "-quant.md");
      Files.writeString(file, text);
      log.println("wrote " + file);
    } else log.print(text);
    return rows;
  }

  /** Reads the float folder's input and PyTorch float output at {@code batch}. */
  static Tensor input(QuantModel m, int batch) { return Npy.read(m.floatDir().resolve("input_b" + batch + ".npy")); }
}
