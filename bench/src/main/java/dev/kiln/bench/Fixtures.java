package dev.kiln.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files tests/fixtures/gen_onnx.py writes per model into {@code fixtures-large/onnx/<model>/}, and running that
 * script for the models whose files are missing (they are large and gitignored, so a fresh checkout has none).
 */
final class Fixtures {
  private Fixtures() {}

  /** The files a run at these batch sizes reads per model (gen_onnx.py writes batches 1 and 8). */
  static List<String> files(List<Integer> batches) {
    List<String> out = new ArrayList<>(List.of("model.onnx", "model.pt"));
    for (int b : batches) {
      out.add("input_b" + b + ".npy");
      out.add("output_b" + b + ".npy");
    }
    return out;
  }

  /** The models in {@code models} that lack at least one of {@link #files} under {@code dir}. */
  static List<String> missing(Path dir, List<String> models, List<Integer> batches) {
    List<String> out = new ArrayList<>();
    for (String m : models)
      if (files(batches).stream().anyMatch(f -> !Files.isRegularFile(dir.resolve(m).resolve(f)))) out.add(m);
    return out;
  }

  /**
   * Runs {@code <python> <root>/tests/fixtures/gen_onnx.py <missing models>} when some are missing, its output
   * going to this process's.
   *
   * @throws IllegalStateException naming the command when it fails or still leaves files missing
   */
  static void ensure(BenchOptions o) throws IOException, InterruptedException {
    List<String> todo = missing(o.fixtures(), o.models(), o.batches());
    if (todo.isEmpty()) return;
    Path script = o.root().resolve("tests/fixtures/gen_onnx.py");
    if (!o.fixtures().equals(o.root().resolve("fixtures-large/onnx")))
      throw new IllegalStateException(o.fixtures() + ": missing fixtures for " + todo + "; gen_onnx.py writes only to "
          + o.root().resolve("fixtures-large/onnx") + ", run it and drop --fixtures");
    List<String> cmd = new ArrayList<>(List.of(o.python(), script.toString()));
    cmd.addAll(todo);
    System.out.println("fixtures missing for " + todo + "; running: " + String.join(" ", cmd));
    int rc = new ProcessBuilder(cmd).directory(o.root().toFile()).inheritIO().start().waitFor();
    if (rc != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed with exit code " + rc);
    List<String> still = missing(o.fixtures(), o.models(), o.batches());
    if (!still.isEmpty()) throw new IllegalStateException(String.join(" ", cmd) + " ran but files are still missing for " + still);
  }
}
