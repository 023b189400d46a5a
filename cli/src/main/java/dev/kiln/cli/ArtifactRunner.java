package dev.kiln.cli;

import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code kiln run model.kiln --input x.npy [--output y.npy]}: runs a compiled artifact through the embedding API
 * ({@link KilnModel}), as a service would. RunCommand hands {@code .kiln} files here before it reads IR.
 */
final class ArtifactRunner {
  private ArtifactRunner() {}

  /** True for files this runner takes ({@code .kiln}). */
  static boolean handles(Path file) { return file.getFileName().toString().endsWith(".kiln"); }

  /**
   * Loads the artifact, runs it once on the .npy inputs (in signature order) and prints each output, or writes one
   * .npy per output when {@code outputs} is not empty.
   *
   * @return the exit status, 0
   * @throws CliException when the inputs or outputs do not fit the artifact's signature
   */
  static int run(Path file, List<Path> inputs, List<Path> outputs, PrintWriter out) throws IOException {
    KilnModel model = KilnModel.load(file);
    int n = model.signature().outputs().size();
    if (!outputs.isEmpty() && outputs.size() != n)
      throw new CliException(file + " has " + n + " output" + (n == 1 ? "" : "s") + " " + model.signature() + ", got " + outputs.size() + " --output");
    Tensor[] args = new Tensor[inputs.size()];
    for (int i = 0; i < args.length; i++) args[i] = Npy.read(inputs.get(i));
    List<Tensor> results;
    try {
      results = model.run(args);
    } catch (IllegalArgumentException bad) {
      throw new CliException(file + ": " + bad.getMessage() + (args.length != model.signature().inputs().size() ? " --input" : ""));
    }
    for (int i = 0; i < n; i++) {
      String name = model.signature().outputs().get(i).name();
      if (outputs.isEmpty()) {
        for (String line : ValueFormatter.describe("output " + name, results.get(i))) out.println(line);
      } else {
        Npy.write(outputs.get(i), results.get(i));
        out.println("wrote output " + name + " to " + outputs.get(i));
      }
    }
    out.flush();
    return 0;
  }
}
