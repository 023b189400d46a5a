package dev.kiln.passes.quant;

import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.calib.ObserverKind;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code quantize} does. From a pipeline entry ({@link #parse}) or built by a caller that calibrates itself
 * (the CLI, with a progress bar).
 *
 * @param mode dynamic (weights only, activations quantized per call) or static (activations too, from calibration)
 * @param perChannel one weight scale per output channel (default), else one per tensor (PyTorch's default_dynamic_qconfig)
 * @param keep layer names ({@link Layers#name}) left in float
 * @param observer how static calibration turns observed values into ranges
 * @param calibration the calibration inputs for static mode; null in dynamic mode, or when {@code calibrationDir} is set
 * @param calibrationDir a folder of .npy inputs read when the pass runs (pipeline form); may be null
 * @param progress told after each calibration sample; not null
 * @param floatOutput static mode: a linear layer whose result is a model output keeps a float result
 *     ({@code q.linear_dynamic}: int8 weights and activations, f32 out) instead of an 8-bit one
 */
public record QuantConfig(Mode mode, boolean perChannel, Set<String> keep, ObserverKind observer, CalibrationSet calibration,
    Path calibrationDir, Calibrator.Progress progress, boolean floatOutput) {
  public enum Mode { DYNAMIC, STATIC }

  public QuantConfig {
    Objects.requireNonNull(mode, "mode");
    keep = Set.copyOf(keep);
    Objects.requireNonNull(observer, "observer");
    Objects.requireNonNull(progress, "progress");
    if (mode == Mode.STATIC && calibration == null && calibrationDir == null)
      throw new IllegalArgumentException("static quantization needs calibration inputs (a set or a folder)");
  }

  /** Without {@code floatOutput} (8-bit model outputs, as PyTorch's convert leaves them). */
  public QuantConfig(Mode mode, boolean perChannel, Set<String> keep, ObserverKind observer, CalibrationSet calibration,
      Path calibrationDir, Calibrator.Progress progress) {
    this(mode, perChannel, keep, observer, calibration, calibrationDir, progress, false);
  }

  /** Dynamic, per-channel weights, nothing kept. */
  public static QuantConfig dynamic() {
    return new QuantConfig(Mode.DYNAMIC, true, Set.of(), ObserverKind.MINMAX, null, null, Calibrator.Progress.NONE);
  }

  /** Static, calibrated on {@code calibration} with {@code observer}, per-channel weights, nothing kept. */
  public static QuantConfig calibrated(CalibrationSet calibration, ObserverKind observer) {
    return new QuantConfig(Mode.STATIC, true, Set.of(), observer, calibration, null, Calibrator.Progress.NONE);
  }

  public QuantConfig withKeep(Set<String> layers) {
    return new QuantConfig(mode, perChannel, layers, observer, calibration, calibrationDir, progress, floatOutput);
  }

  public QuantConfig withPerChannel(boolean on) {
    return new QuantConfig(mode, on, keep, observer, calibration, calibrationDir, progress, floatOutput);
  }

  public QuantConfig withProgress(Calibrator.Progress p) {
    return new QuantConfig(mode, perChannel, keep, observer, calibration, calibrationDir, p, floatOutput);
  }

  public QuantConfig withFloatOutput(boolean on) {
    return new QuantConfig(mode, perChannel, keep, observer, calibration, calibrationDir, progress, on);
  }

  public static final String HELP = "dynamic|static[;per-tensor][;keep=LAYER+LAYER...][;calibrate=DIR][;observer=minmax|histogram|percentile][;float-output]";

  /**
   * Parses {@code dynamic}, {@code static;calibrate=DIR;observer=histogram}, {@code dynamic;per-tensor;keep=fc1+fc3},
   * {@code static;calibrate=DIR;float-output}.
   *
   * @throws IllegalArgumentException naming the bad part and what was expected
   */
  public static QuantConfig parse(String text) {
    String[] parts = text.split(";");
    Mode mode = switch (parts[0].strip()) {
      case "dynamic", "" -> Mode.DYNAMIC;
      case "static" -> Mode.STATIC;
      default -> throw new IllegalArgumentException("quantize=" + text + ": expected " + HELP);
    };
    boolean perChannel = true, floatOutput = false;
    Set<String> keep = new LinkedHashSet<>();
    ObserverKind observer = ObserverKind.MINMAX;
    Path dir = null;
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].strip();
      int eq = p.indexOf('=');
      String key = eq < 0 ? p : p.substring(0, eq), value = eq < 0 ? "" : p.substring(eq + 1).strip();
      switch (key) {
        case "per-tensor" -> perChannel = false;
        case "per-channel" -> perChannel = true;
        case "float-output" -> floatOutput = true;
        case "keep" -> { for (String k : value.split("\\+")) if (!k.isBlank()) keep.add(k.strip()); }
        case "observer" -> observer = ObserverKind.parse(value);
        case "calibrate" -> dir = Path.of(value);
        default -> throw new IllegalArgumentException("quantize=" + text + ": unknown option '" + p + "'; expected " + HELP);
      }
    }
    if (mode == Mode.STATIC && dir == null)
      throw new IllegalArgumentException("quantize=static needs calibration inputs: quantize=static;calibrate=DIR (a folder of .npy"
          + " files), or kiln compile --quantize static --calibrate DIR");
    return new QuantConfig(mode, perChannel, keep, observer, null, dir, Calibrator.Progress.NONE, floatOutput);
  }
}
