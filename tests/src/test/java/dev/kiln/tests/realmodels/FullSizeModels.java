package dev.kiln.tests.realmodels;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The full-size torchvision fixtures in {@code fixtures-large/} (gitignored), written by
 * {@code /usr/bin/python3 tests/fixtures/gen_models.py --full}: for each model a folder with {@code scripted.pt},
 * {@code traced.pt}, {@code frozen.pt}, {@code input.npy} ([1,3,224,224]) and PyTorch's {@code output.npy}.
 */
final class FullSizeModels {
  private FullSizeModels() {}

  /** The models gen_models.py --full writes. */
  static final List<String> MODELS = List.of("resnet18", "mobilenet_v2", "squeezenet1_1");
  /** The archive forms written for each. */
  static final List<String> FORMS = List.of("scripted", "traced", "frozen");

  /**
   * The folder named by the system property {@code kiln.fixtures.large} when set, else {@code fixtures-large/} in
   * the working folder or the nearest folder above it that has one; null if there is none.
   */
  static Path root() {
    String given = System.getProperty("kiln.fixtures.large");
    if (given != null && !given.isBlank()) return Files.isDirectory(Path.of(given)) ? Path.of(given) : null;
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path m = p.resolve("fixtures-large");
      if (Files.isDirectory(m)) return m;
    }
    return null;
  }

  /** The folder of {@code model}; skips the calling test (with how to make it) when the fixture is missing. */
  static Path require(String model, String file) {
    Path root = root();
    Assumptions.assumeTrue(root != null, "no fixtures-large/ above " + Path.of("").toAbsolutePath()
        + (System.getProperty("kiln.fixtures.large") == null ? "" : " (-Dkiln.fixtures.large=" + System.getProperty("kiln.fixtures.large") + " is no folder)")
        + ": run /usr/bin/python3 tests/fixtures/gen_models.py --full (needs torch and torchvision) to write the full-size models");
    Path dir = root.resolve(model);
    Assumptions.assumeTrue(Files.isRegularFile(dir.resolve(file)) && Files.isRegularFile(dir.resolve("input.npy"))
        && Files.isRegularFile(dir.resolve("output.npy")),
        "no " + dir.resolve(file) + " with input.npy and output.npy: rerun /usr/bin/python3 tests/fixtures/gen_models.py --full");
    return dir;
  }

  /** Imports {@code dir/form.pt} with the static shape of its input and verifies the graph. */
  static TorchScriptImporter.ImportedModel importStatic(Path dir, String form) {
    Tensor x = Npy.read(dir.resolve("input.npy"));
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(dir.resolve(form + ".pt"), List.of(Type.tensor(x.dtype(), x.shape())));
    Verifier.verify(m.graph());
    return m;
  }

  /** Max abs error, and max abs error over the largest PyTorch magnitude (norm-wise relative, as docs/models.md). */
  record Error(double maxAbs, double maxRel) {
    boolean within(double tol) { return maxAbs <= tol && maxRel <= tol; }

    @Override public String toString() { return String.format(java.util.Locale.ROOT, "max abs %.2e, max rel %.2e", maxAbs, maxRel); }
  }

  /** {@code got} against PyTorch's {@code want}; a NaN anywhere gives NaN errors (which fail every tolerance). */
  static Error compare(Object got, Tensor want, String what) {
    if (!(got instanceof Tensor g)) throw new AssertionError(what + ": first result is " + got + ", expected a tensor");
    if (!java.util.Arrays.equals(g.shape(), want.shape()))
      throw new AssertionError(what + ": shape " + java.util.Arrays.toString(g.shape()) + ", PyTorch has " + java.util.Arrays.toString(want.shape()));
    double[] a = g.toDoubleArray(), b = want.toDoubleArray();
    double abs = 0, scale = 0;
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i])) return new Error(Double.NaN, Double.NaN);
      abs = Math.max(abs, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return new Error(abs, scale == 0 ? abs : abs / scale);
  }
}
