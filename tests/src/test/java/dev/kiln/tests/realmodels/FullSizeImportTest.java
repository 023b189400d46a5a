package dev.kiln.tests.realmodels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.torchscript.TorchScriptImporter;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The full-size torchvision models (resnet18, mobilenet_v2, squeezenet1_1 at 224x224; {@link FullSizeModels}) in
 * each archive form, imported with the input's static shape, verified, run on the reference interpreter and
 * compared with PyTorch's stored output: max abs and max relative error at most 1e-4. Prints the table of errors
 * kept in docs/models.md. Tagged {@code real-models}: excluded from the default run (tests/pom.xml), skipped when
 * fixtures-large/ is missing.
 */
@Tag("real-models")
class FullSizeImportTest {
  static final double TOL = 1e-4;
  private static final Map<String, String> RESULTS = new ConcurrentSkipListMap<>();

  static List<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String m : FullSizeModels.MODELS) for (String f : FullSizeModels.FORMS) out.add(Arguments.of(m, f));
    return out;
  }

  @ParameterizedTest(name = "{0}/{1}.pt")
  @MethodSource("cases")
  void matchesPyTorch(String model, String form) {
    Path dir = FullSizeModels.require(model, form + ".pt");
    String what = model + "/" + form + ".pt";
    long t0 = System.nanoTime();
    TorchScriptImporter.ImportedModel m = FullSizeModels.importStatic(dir, form);
    long t1 = System.nanoTime();
    Tensor x = Npy.read(dir.resolve("input.npy"));
    Object y = new Interpreter(m.graph(), m.weights()).run(List.of(x)).getFirst();
    long t2 = System.nanoTime();
    FullSizeModels.Error e = FullSizeModels.compare(y, Npy.read(dir.resolve("output.npy")), what);
    RESULTS.put(what, String.format(java.util.Locale.ROOT, "%s | %d | %s | %.0f ms import, %.0f ms run",
        e.within(TOL) ? "pass" : "DIFF", m.graph().allNodes().size(), e, (t1 - t0) / 1e6, (t2 - t1) / 1e6));
    assertTrue(e.within(TOL), what + " differs from PyTorch's output.npy: " + e + " (tolerance " + TOL + ")");
  }

  @AfterAll
  static void printTable() {
    if (RESULTS.isEmpty()) return;
    StringBuilder sb = new StringBuilder("\n[real-models] | model/form | result | nodes | errors | time |\n");
    new TreeMap<>(RESULTS).forEach((k, v) -> sb.append("[real-models] | ").append(k).append(" | ").append(v).append(" |\n"));
    System.out.println(sb);
  }
}
