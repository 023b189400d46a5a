package dev.kiln.frontend.torchscript;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Verifier;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The committed model fixtures (tests/fixtures/models) and running an imported model against PyTorch's output. */
final class ModelFixtures {
  private ModelFixtures() {}

  static Path models() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path m = p.resolve("tests/fixtures/models");
      if (Files.isDirectory(m)) return m;
    }
    throw new IllegalStateException("tests/fixtures/models not found above " + Path.of("").toAbsolutePath());
  }

  /** The tensor type of an input array; dim 0 named {@code batch} when non-null (a symbolic batch). */
  static TensorType typeOf(Tensor t, String batch) {
    List<Dim> dims = new ArrayList<>();
    long[] s = t.shape();
    for (int i = 0; i < s.length; i++) dims.add(i == 0 && batch != null ? Dim.sym(batch) : Dim.of(s[i]));
    return Type.tensor(t.dtype(), Shape.of(dims));
  }

  /** Max abs error, and max abs error over the largest expected magnitude (a norm-wise relative error). */
  record Error(double maxAbs, double maxRel) {}

  static Error compare(Tensor got, Tensor want) {
    if (!java.util.Arrays.equals(got.shape(), want.shape()))
      throw new AssertionError("shape " + java.util.Arrays.toString(got.shape()) + ", expected " + java.util.Arrays.toString(want.shape()));
    double[] a = got.toDoubleArray(), b = want.toDoubleArray();
    double abs = 0, scale = 0;
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i])) return new Error(Double.NaN, Double.NaN);
      abs = Math.max(abs, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    return new Error(abs, scale == 0 ? abs : abs / scale);
  }

  /** Imports an archive for {@code input}, verifies the graph, runs it and compares with {@code output}. */
  static Error run(Path archive, Path input, Path output, String batch) {
    Tensor x = Npy.read(input);
    TorchScriptImporter.ImportedModel m = TorchScriptImporter.importArchive(archive, List.of(typeOf(x, batch)));
    Verifier.verify(m.graph());
    List<Object> out = new Interpreter(m.graph(), m.weights()).run(List.of(x));
    if (!(out.getFirst() instanceof Tensor y)) throw new AssertionError("first result is " + out.getFirst());
    return compare(y, Npy.read(output));
  }
}
