package dev.kiln.frontend.torchscript;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every fixture archive (scripted, traced, frozen) imported with its input's shape, verified, run on the reference
 * interpreter and compared with PyTorch's output: max abs and max relative error at most 1e-4. The controlflow model
 * runs on both inputs (one per branch of its data-dependent if). Prints a table of the measured errors.
 */
class ArchiveImportTest {
  private static final double TOL = 1e-4;
  /** The traced controlflow model baked in the branch of input.npy (see docs/torchscript-format.md, section 4). */
  private static final String TRACED_OTHER_BRANCH = "controlflow/traced.pt on input_else";
  private static final Map<String, String> RESULTS = new TreeMap<>();

  @TestFactory
  Stream<DynamicTest> fixtures() throws Exception {
    List<DynamicTest> tests = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(ModelFixtures.models())) {
      for (Path dir : dirs.sorted().toList()) {
        try (Stream<Path> files = Files.list(dir)) {
          for (Path pt : files.filter(p -> p.toString().endsWith(".pt")).sorted().toList()) {
            tests.add(test(dir, pt, "input.npy", "output.npy"));
            if (Files.exists(dir.resolve("input_else.npy"))) tests.add(test(dir, pt, "input_else.npy", "output_else.npy"));
          }
        }
      }
    }
    return tests.stream();
  }

  private static DynamicTest test(Path dir, Path pt, String in, String out) {
    String name = dir.getFileName() + "/" + pt.getFileName() + (in.equals("input.npy") ? "" : " on input_else");
    return DynamicTest.dynamicTest(name, () -> {
      ModelFixtures.Error e;
      try {
        e = ModelFixtures.run(pt, dir.resolve(in), dir.resolve(out), null);
      } catch (ScriptLoweringException x) {
        RESULTS.put(name, "FAIL " + firstLine(x.getMessage()));
        throw x;
      } catch (RuntimeException | AssertionError x) {
        RESULTS.put(name, "FAIL " + firstLine(x.getMessage()));
        throw x;
      }
      boolean ok = e.maxAbs() <= TOL && e.maxRel() <= TOL;
      RESULTS.put(name, String.format(Locale.ROOT, "%s max abs %.2e, max rel %.2e", ok ? "pass" : "DIFF", e.maxAbs(), e.maxRel()));
      if (name.equals(TRACED_OTHER_BRANCH)) {
        // The trace is wrong for this input by construction: check that it is, so the table stays honest.
        assertTrue(e.maxAbs() > TOL, name + " should differ (the trace baked in the other branch), got " + e);
        return;
      }
      assertTrue(ok, name + ": " + e);
    });
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @AfterAll
  static void printTable() {
    StringBuilder sb = new StringBuilder("\n| model/form | result |\n|---|---|\n");
    RESULTS.forEach((k, v) -> sb.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    System.out.println(sb);
  }
}
