package dev.kiln.cli;

import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.quant.QuantConfig;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.calib.ObserverKind;
import dev.kiln.passes.quant.report.AccuracyBudget;
import dev.kiln.passes.quant.report.BudgetSearch;
import dev.kiln.passes.quant.report.QuantReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * {@code --quantize dynamic|static}, {@code --calibrate DIR}, {@code --observer}, {@code --accuracy-budget}: adds a
 * {@code quantize=...} entry to the pipeline the user chose, before {@code fuse} (so fused groups are formed around
 * the quantized ops) or at the end; static quantization also gets {@code fold-bn} first when the pipeline has none
 * (a batch norm between a convolution and its relu would block both). A picocli mixin.
 */
final class QuantOptions {
  @Option(names = "--quantize", paramLabel = "MODE",
      description = "int8 quantization: dynamic (weights; activations per call) or static (activations too, needs --calibrate).")
  String mode;

  @Option(names = "--calibrate", paramLabel = "DIR",
      description = "Calibration inputs: a folder of .npy files (one per sample; one folder per sample for several inputs).")
  Path calibrate;

  @Option(names = "--observer", paramLabel = "KIND", defaultValue = "minmax",
      description = "Static calibration observer: minmax, histogram or percentile; default: ${DEFAULT-VALUE}.")
  String observer;

  @Option(names = "--accuracy-budget", paramLabel = "X",
      description = "Keep the most sensitive layers in float until the error on --calibrate is within X: a fraction or %% "
          + "(top-1 disagreement for a classifier, else relative L2 error), or a minimum output SQNR such as 30dB.")
  String budget;

  @Option(names = "--float-output",
      description = "Static: a linear layer whose result is a model output (a classifier's logits) keeps an f32 result (q.linear_dynamic).")
  boolean floatOutput;

  /** Passes before which quantization goes (it must see the layers before fusion and layout changes). */
  private static final Set<String> AFTER_QUANTIZE = Set.of("fuse", "nhwc", "plan-memory");

  boolean given() { return mode != null; }

  /** @throws CliException for inconsistent options */
  QuantConfig config() {
    if (mode == null) {
      if (calibrate != null || budget != null) throw new CliException("--calibrate and --accuracy-budget go with --quantize dynamic|static");
      return null;
    }
    QuantConfig.Mode m = switch (mode) {
      case "dynamic" -> QuantConfig.Mode.DYNAMIC;
      case "static" -> QuantConfig.Mode.STATIC;
      default -> throw new CliException("--quantize " + mode + ": expected dynamic or static");
    };
    ObserverKind kind;
    try {
      kind = ObserverKind.parse(observer);
    } catch (IllegalArgumentException e) {
      throw new CliException("--observer " + e.getMessage());
    }
    if (m == QuantConfig.Mode.STATIC && calibrate == null) throw new CliException("--quantize static needs --calibrate DIR (a folder of .npy inputs)");
    if (budget != null && calibrate == null) throw new CliException("--accuracy-budget needs --calibrate DIR to measure the error on");
    String dir = calibrate == null ? null : calibrate.toString();
    if (dir != null && (dir.contains(",") || dir.contains(";") || dir.contains("+")))
      throw new CliException("--calibrate " + dir + ": the folder name may not contain ',', ';' or '+'");
    return new QuantConfig(m, true, Set.of(), kind, null, calibrate, Calibrator.Progress.NONE, floatOutput);
  }

  /** The pipeline entry for {@code cfg} with {@code keep} layers in float. */
  static String entry(QuantConfig cfg, List<String> keep) {
    StringBuilder s = new StringBuilder("quantize=").append(cfg.mode() == QuantConfig.Mode.STATIC ? "static" : "dynamic");
    if (cfg.mode() == QuantConfig.Mode.STATIC) s.append(";calibrate=").append(cfg.calibrationDir()).append(";observer=").append(cfg.observer().text());
    if (!cfg.perChannel()) s.append(";per-tensor");
    if (!keep.isEmpty()) s.append(";keep=").append(String.join("+", keep));
    if (cfg.floatOutput()) s.append(";float-output");
    return s.toString();
  }

  /** The part of {@code pipeline} that runs before quantization (static: fold-bn added when absent). */
  static List<String> prefix(String pipeline, QuantConfig cfg) {
    List<String> out = new ArrayList<>();
    for (String e : split(pipeline)) {
      if (AFTER_QUANTIZE.contains(name(e))) break;
      out.add(e);
    }
    if (cfg.mode() == QuantConfig.Mode.STATIC && out.stream().noneMatch(e -> name(e).equals("fold-bn"))) out.addAll(List.of("fold-bn", "fold", "dce"));
    return out;
  }

  /** {@code pipeline} with the quantize entry inserted (see the class comment). */
  static String insert(String pipeline, QuantConfig cfg, List<String> keep) {
    List<String> entries = new ArrayList<>(prefix(pipeline, cfg));
    entries.add(entry(cfg, keep));
    List<String> all = split(pipeline);
    int i = 0;
    while (i < all.size() && !AFTER_QUANTIZE.contains(name(all.get(i)))) i++;
    entries.addAll(all.subList(i, all.size()));
    return String.join(",", entries);
  }

  private static List<String> split(String pipeline) {
    return pipeline.isBlank() ? List.of() : Arrays.stream(pipeline.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private static String name(String entry) {
    int eq = entry.indexOf('=');
    return eq < 0 ? entry : entry.substring(0, eq);
  }

  /**
   * The pipeline to run: {@code pipeline} itself without --quantize; with it, the quantize entry inserted, after an
   * accuracy-budget search on {@code model} when --accuracy-budget was given (its decisions go to {@code err}).
   */
  String pipeline(String pipeline, Program model, PrintWriter err) {
    QuantConfig cfg = config();
    if (cfg == null) return pipeline;
    List<String> keep = List.of();
    if (budget != null) keep = budgetSearch(pipeline, cfg, model, err).kept();
    return insert(pipeline, cfg, keep);
  }

  /**
   * For commands without a budget search (optimize, run): {@code pipeline} with the quantize entry when --quantize
   * was given.
   */
  String pipelineNoBudget(String pipeline, String command) {
    if (budget != null) throw new CliException("--accuracy-budget: use kiln compile or kiln quantize-report, not kiln " + command);
    QuantConfig cfg = config();
    return cfg == null ? pipeline : insert(pipeline, cfg, List.of());
  }

  /** Runs the budget search on {@code model} optimized by the part of {@code pipeline} before quantization. */
  BudgetSearch.Outcome budgetSearch(String pipeline, QuantConfig cfg, Program model, PrintWriter err) {
    AccuracyBudget b;
    try {
      b = AccuracyBudget.parse(budget);
    } catch (IllegalArgumentException e) {
      throw new CliException("--accuracy-budget " + e.getMessage());
    }
    CalibrationSet set = load(cfg);
    // On a copy: the model itself is optimized afterwards by the whole pipeline.
    Program f = QuantReport.named(run(String.join(",", prefix(pipeline, cfg)), QuantReport.named(model)));
    QuantConfig withSet = new QuantConfig(cfg.mode(), cfg.perChannel(), cfg.keep(), cfg.observer(), set, null, Calibrator.Progress.NONE, cfg.floatOutput());
    // Variants run on the JVM backend (its int8 kernels give the interpreter's bits, much faster); the per-layer figures
    // of the chosen one are then measured once on the interpreter, which can probe every layer.
    BudgetSearch.Outcome o = BudgetSearch.search(f, withSet, set, b, new ProgressBar(err, "calibrating"), line -> err.println("quantize: " + line),
        QuantOptions::jvmRunner);
    o = new BudgetSearch.Outcome(QuantReport.measure(f, o.result().quantized(), set, new ProgressBar(err, "measuring")), o.kept(), o.held());
    if (o.held()) err.println("quantize: accuracy budget met; kept in float: " + (o.kept().isEmpty() ? "none" : String.join(", ", o.kept())));
    else err.println("quantize: accuracy budget NOT met even with every layer in float (" + BudgetSearch.describe(o.result().output())
        + "); kept in float: " + String.join(", ", o.kept()));
    err.flush();
    return o;
  }

  /** Runs a quantized variant for the budget search: -O2's tail (fuse, nhwc, plan-memory) on a copy, then the JVM backend. */
  static java.util.function.Function<List<Object>, List<Object>> jvmRunner(Program p) {
    Program c = PassManager.parse("fuse,nhwc,plan-memory").run(QuantReport.named(p));
    return dev.kiln.codegen.jvm.JvmBackend.compile(c.graph(), c.weights(), dev.kiln.codegen.jvm.JvmOptions.defaults()).instantiate(c.weights())::run;
  }

  static CalibrationSet load(QuantConfig cfg) {
    try {
      return CalibrationSet.load(cfg.calibrationDir());
    } catch (IllegalArgumentException e) {
      throw new CliException("--calibrate " + e.getMessage());
    }
  }

  static Program run(String pipeline, Program p) { return manager(pipeline).run(p); }

  /** The parsed pipeline; bad pass names and options become a {@link CliException}. */
  static PassManager manager(String pipeline) {
    try {
      return PassManager.parse(pipeline);
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
  }
}
