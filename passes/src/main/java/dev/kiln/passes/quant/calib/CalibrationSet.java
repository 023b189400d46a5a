package dev.kiln.passes.quant.calib;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Calibration inputs: a list of samples, each one value per graph input, with a name for messages.
 *
 * <p>On disk ({@link #load}): a folder of {@code .npy} files, one sample per file, for a model with one input; or a
 * folder of sub-folders, one sample each, holding one {@code .npy} per model input in file-name order. Samples are
 * taken in name order.
 */
public record CalibrationSet(List<Sample> samples) {
  /** One calibration input: {@code inputs} in graph parameter order, {@code name} for messages (file or folder). */
  public record Sample(String name, List<Object> inputs) {
    public Sample {
      Objects.requireNonNull(name, "name");
      inputs = List.copyOf(inputs);
    }
  }

  public CalibrationSet {
    samples = List.copyOf(samples);
    if (samples.isEmpty()) throw new IllegalArgumentException("a calibration set needs at least one sample");
  }

  /** Samples of a single-input model from tensors, named {@code #0}, {@code #1}, ... */
  public static CalibrationSet of(List<Tensor> inputs) {
    List<Sample> s = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) s.add(new Sample("#" + i, List.of(inputs.get(i))));
    return new CalibrationSet(s);
  }

  public int size() { return samples.size(); }

  /**
   * Reads a calibration folder.
   *
   * @throws IllegalArgumentException naming the folder or file and what was expected
   */
  public static CalibrationSet load(Path dir) {
    if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + ": calibration data must be a folder of .npy files");
    List<Path> npys = list(dir, p -> Files.isRegularFile(p) && p.toString().endsWith(".npy"));
    List<Path> subdirs = list(dir, Files::isDirectory);
    if (!npys.isEmpty() && !subdirs.isEmpty())
      throw new IllegalArgumentException(dir + ": holds both .npy files and folders; expected one .npy per sample, or one folder per sample");
    List<Sample> samples = new ArrayList<>();
    if (!npys.isEmpty()) {
      for (Path p : npys) samples.add(new Sample(p.toString(), List.of(read(p))));
    } else {
      for (Path d : subdirs) {
        List<Object> inputs = new ArrayList<>();
        for (Path p : list(d, f -> Files.isRegularFile(f) && f.toString().endsWith(".npy"))) inputs.add(read(p));
        if (inputs.isEmpty()) throw new IllegalArgumentException(d + ": a sample folder needs one .npy file per model input, found none");
        samples.add(new Sample(d.toString(), inputs));
      }
    }
    if (samples.isEmpty()) throw new IllegalArgumentException(dir + ": no .npy files (expected one per calibration sample)");
    return new CalibrationSet(samples);
  }

  /**
   * Checks every sample has {@code inputs} values.
   *
   * @throws IllegalArgumentException naming the first sample that does not
   */
  public void checkArity(int inputs) {
    for (Sample s : samples)
      if (s.inputs().size() != inputs)
        throw new IllegalArgumentException(s.name() + ": calibration sample has " + s.inputs().size() + " input(s), the model takes " + inputs
            + (inputs > 1 ? " (give one folder per sample with one .npy per input, in name order)" : ""));
  }

  private static Tensor read(Path p) {
    try {
      return Npy.read(p);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(p + ": not a readable .npy file: " + e.getMessage(), e);
    }
  }

  private static List<Path> list(Path dir, java.util.function.Predicate<Path> keep) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(keep).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
  }
}
