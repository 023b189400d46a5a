package dev.kiln.tests.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GoldenCaseTest {
  @Test
  void splitsOnSeparatorsKeepingFileLineNumbers() {
    String file = "// RUN: dce, verify\ngraph @a\n// CHECK: a\n// -----\ngraph @b\n// CHECK: b\n";
    List<GoldenCase> cases = GoldenCase.split("x/t.kir", file);
    assertEquals(2, cases.size());
    assertEquals("dce, verify", cases.get(0).pipeline());
    assertEquals(1, cases.get(0).firstLine());
    assertEquals(5, cases.get(1).firstLine());
    assertEquals("t.kir:5", cases.get(1).label());
    // Line 5 of the file is line 5 of the case text, so CHECK lines report file lines.
    assertEquals("graph @b", cases.get(1).text().split("\n", -1)[4]);
    assertEquals(6, FileCheck.directives(cases.get(1).text(), 1).get(0).line());
  }

  @Test
  void runLineIsRequiredAndUnique() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GoldenCase.split("t.kir", "graph @a\n"))
        .getMessage().contains("t.kir:1: no '// RUN: <pipeline>' line"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> GoldenCase.split("t.kir", "// RUN: dce\n// RUN: dce\n"))
        .getMessage().contains("t.kir:2: a second RUN line"));
  }

  @Test
  void emptyPipelineIsAllowed() {
    assertEquals("", GoldenCase.split("t.kir", "// RUN:\ngraph @a\n").get(0).pipeline());
  }
}
