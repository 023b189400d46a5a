package dev.kiln.tests.ops;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.ir.OpDef;
import dev.kiln.ir.ops.Ops;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every op case in src/test/resources/ops (written from PyTorch by tests/fixtures/gen_ops.py, see the README
 * there) through IrParser, Verifier and the reference Interpreter, and checks the outputs against PyTorch's.
 */
class OpNumericsTest {
  /**
   * The fixture folder: the source folder when the tests run from the module (or repository) directory, so that a
   * deleted case cannot linger in a stale copy under the build folder; else the copy on the test classpath.
   */
  static Path fixtureDir() {
    for (String d : List.of("src/test/resources/ops", "tests/src/test/resources/ops"))
      if (Files.isRegularFile(Path.of(d, "README.md"))) return Path.of(d);
    URL url = OpNumericsTest.class.getClassLoader().getResource("ops/README.md");
    if (url == null || !url.getProtocol().equals("file")) throw new IllegalStateException("cannot find the op fixtures (ops/README.md)");
    try {
      return Path.of(url.toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the op fixtures from " + url, e);
    }
  }

  /** Case names: every {@code <name>.kir} in the folder, sorted. */
  static List<String> caseNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".kir"))
          .map(n -> n.substring(0, n.length() - ".kir".length())).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> interpreterMatchesPyTorch() throws IOException {
    Path dir = fixtureDir();
    List<String> names = caseNames(dir);
    assertTrue(!names.isEmpty(), "no .kir cases in " + dir.toAbsolutePath());
    String tol = " (floats within " + OutputMatcher.ATOL + " + " + OutputMatcher.RTOL + "*|expected|, ints and bools exact)";
    return names.stream().map(n -> DynamicTest.dynamicTest(n + tol, () -> new OpCase(dir, n).check()));
  }

  /** An op name at the start of a node, after its results: {@code %a, %b = nn.chunk(}, {@code yield(}, {@code %w = const }. */
  private static final Pattern NODE_OP = Pattern.compile("^\\s*(?:%[\\w.]+(?:\\s*,\\s*%[\\w.]+)*\\s*=\\s*)?([A-Za-z_][\\w.]*)\\s*[({]",
      Pattern.MULTILINE);

  @Test
  void everyOpHasAPyTorchCase() throws IOException {
    Path dir = fixtureDir();
    Set<String> used = new TreeSet<>();
    for (String n : caseNames(dir)) {
      Matcher m = NODE_OP.matcher(Files.readString(dir.resolve(n + ".kir")));
      while (m.find()) used.add(m.group(1));
    }
    Set<String> missing = new TreeSet<>();
    for (OpDef op : Ops.all()) if (!used.contains(op.name())) missing.add(op.name());
    if (!missing.isEmpty())
      fail("ops without a PyTorch case in " + dir + ": " + missing + "; add cases to tests/fixtures/op_cases_*.py and rerun tests/fixtures/gen_ops.py");
  }
}
