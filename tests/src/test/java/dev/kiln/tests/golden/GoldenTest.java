package dev.kiln.tests.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden IR tests: every {@code *.kir} under {@code src/test/resources/golden}. For each case the input is parsed,
 * the file's RUN pipeline is run on every graph (verifying after each pass), the result is printed, and the CHECK
 * lines are matched against the printed text, which must also parse back to itself.
 */
class GoldenTest {
  static final Path DIR = Path.of("src/test/resources/golden");

  @TestFactory
  Stream<DynamicNode> goldenFiles() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".kir")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no golden files under " + DIR.toAbsolutePath());
    return files.stream().map(GoldenTest::container);
  }

  private static DynamicNode container(Path file) {
    String name = file.toString().replace('\\', '/');
    List<GoldenCase> cases;
    try {
      cases = GoldenCase.split(name, Files.readString(file));
    } catch (IOException | IllegalArgumentException e) {
      return DynamicTest.dynamicTest(name, file.toUri(), () -> { throw e; });
    }
    return DynamicContainer.dynamicContainer(name, file.toUri(),
        cases.stream().map(c -> DynamicTest.dynamicTest(c.label(), file.toUri(), () -> run(c))));
  }

  static void run(GoldenCase c) {
    List<Graph> graphs = IrParser.parseModule(c.text(), c.file());
    PassManager pm = PassManager.parse(c.pipeline());
    List<Graph> out = new ArrayList<>();
    for (Graph g : graphs) out.add(pm.run(g));
    String printed = IrPrinter.print(out);
    FileCheck.match(FileCheck.directives(c.text(), 1), printed, c.file());
    assertEquals(printed, IrPrinter.print(IrParser.parseModule(printed, c.label() + " (printed)")),
        c.label() + ": the printed result does not parse back to the same text");
  }
}
