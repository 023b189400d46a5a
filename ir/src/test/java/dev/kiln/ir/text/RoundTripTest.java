package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.ops.Ops;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** print(parse(text)) == text for every file under ir/text/roundtrip, and together the files use every op. */
class RoundTripTest {
  static List<Path> files() throws IOException, URISyntaxException {
    Path dir = Path.of(RoundTripTest.class.getResource("/ir/text/roundtrip").toURI());
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".kir")).sorted().toList();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyFilePrintsBackIdentically() throws Exception {
    List<Path> files = files();
    assertTrue(files.size() >= 6, "expected at least 6 round-trip files, found " + files);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      List<Graph> graphs = IrParser.parseModule(text, f.getFileName().toString());
      assertFalse(graphs.isEmpty(), f + " holds no graph");
      assertEquals(text, IrPrinter.print(graphs), f + " does not print back as written");
      if (graphs.size() == 1) assertEquals(text, IrPrinter.print(IrParser.parse(text, f.toString())));
    }));
  }

  /** The files are meant as realistic examples, so they must also be well-typed graphs. */
  @Test
  void theFilesVerify() throws Exception {
    List<String> problems = new java.util.ArrayList<>();
    for (Path f : files())
      for (Graph g : IrParser.parseModule(Files.readString(f, StandardCharsets.UTF_8), f.toString()))
        for (String p : Verifier.check(g)) problems.add(f.getFileName() + " @" + g.name() + ": " + p);
    assertEquals(List.of(), problems);
  }

  @Test
  void theFilesTogetherUseEveryOp() throws Exception {
    Set<String> used = new TreeSet<>();
    for (Path f : files())
      for (Graph g : IrParser.parseModule(Files.readString(f, StandardCharsets.UTF_8), f.toString()))
        for (Node n : g.allNodes()) used.add(n.op().name());
    Set<String> missing = new TreeSet<>();
    for (OpDef op : Ops.all()) if (!used.contains(op.name())) missing.add(op.name());
    assertEquals(Set.of(), missing, "ops not used by any round-trip file");
  }
}
