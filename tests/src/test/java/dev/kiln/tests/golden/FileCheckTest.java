package dev.kiln.tests.golden;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The FileCheck matcher on its own: what passes, what fails, and what the failure says. */
class FileCheckTest {
  private static final String OUT = """
      graph @f(%x: f32[4]) -> (f32[4]) {
        %0 = nn.relu(%x) : f32[4]
        %1 = nn.exp(%0) : f32[4]
        return(%1)
      }

      graph @g(%y: f32[2]) -> (f32[2]) {
        %0 = nn.neg(%y) : f32[2]
        return(%0)
      }
      """;

  private static void check(String checks) { FileCheck.match(FileCheck.directives(checks, 1), OUT, "t.kir"); }

  private static String failure(String checks) {
    return assertThrows(FileCheck.Failure.class, () -> check(checks)).getMessage();
  }

  @Test
  void parsesDirectivesWithTheirLines() {
    List<FileCheck.Directive> ds = FileCheck.directives("graph\n// CHECK: a\n//CHECK-NEXT:  b c \n// CHECK-NOT: d\n// CHECK-LABEL: e\n// CHECK-SAME: f", 10);
    assertEquals(List.of(
        new FileCheck.Directive(FileCheck.Kind.CHECK, "a", 11),
        new FileCheck.Directive(FileCheck.Kind.NEXT, "b c", 12),
        new FileCheck.Directive(FileCheck.Kind.NOT, "d", 13),
        new FileCheck.Directive(FileCheck.Kind.LABEL, "e", 14),
        new FileCheck.Directive(FileCheck.Kind.SAME, "f", 15)), ds);
  }

  @Test
  void checkAndNextMatchInOrder() {
    assertDoesNotThrow(() -> check("""
        // CHECK: nn.relu(%x)
        // CHECK-NEXT: nn.exp
        // CHECK-NEXT: return(%1)
        // CHECK: nn.neg
        """));
  }

  @Test
  void checkDoesNotGoBackwards() {
    String msg = failure("// CHECK: nn.exp\n// CHECK: nn.relu");
    assertTrue(msg.startsWith("t.kir:2: CHECK: nn.relu\n  expected text not found after line 3"), msg);
  }

  @Test
  void nextMustBeOnTheVeryNextLine() {
    String msg = failure("// CHECK: nn.relu\n// CHECK-NEXT: return");
    assertTrue(msg.startsWith("t.kir:2: CHECK-NEXT: return\n  expected on the line after the previous match (line 3)"), msg);
    // The failure shows the output around the spot, marking the line.
    assertTrue(msg.contains(">   3 |   %1 = nn.exp(%0) : f32[4]"), msg);
  }

  @Test
  void sameStaysOnTheLine() {
    assertDoesNotThrow(() -> check("// CHECK: nn.relu\n// CHECK-SAME: : f32[4]"));
    assertTrue(failure("// CHECK: nn.relu\n// CHECK-SAME: nn.exp").contains("expected on the same line"));
  }

  @Test
  void blanksAreFlexible() {
    assertDoesNotThrow(() -> check("// CHECK:   %0   =  nn.relu(%x)  "));
  }

  @Test
  void notFailsOnlyBetweenItsNeighbours() {
    assertDoesNotThrow(() -> check("// CHECK: nn.relu\n// CHECK-NOT: nn.relu\n// CHECK: return"));
    String msg = failure("// CHECK: nn.relu\n// CHECK-NOT: nn.exp\n// CHECK: return");
    assertTrue(msg.startsWith("t.kir:2: CHECK-NOT: nn.exp\n  excluded text found on line 3"), msg);
    // A trailing NOT reaches to the end of the output (or of the label region).
    assertTrue(failure("// CHECK: graph @g\n// CHECK-NOT: nn.neg").contains("excluded text found on line 8"));
  }

  @Test
  void labelsSplitTheOutputIntoRegions() {
    assertDoesNotThrow(() -> check("""
        // CHECK-LABEL: graph @f
        // CHECK-NOT: nn.neg
        // CHECK-LABEL: graph @g
        // CHECK: nn.neg
        """));
    // nn.exp exists only in @f; the search for it after @g's label must not run into another region.
    String msg = failure("""
        // CHECK-LABEL: graph @g
        // CHECK: return
        // CHECK-LABEL: graph @f
        """);
    assertTrue(msg.startsWith("t.kir:3: CHECK-LABEL: graph @f\n  label not found"), msg);
    String inRegion = failure("""
        // CHECK-LABEL: graph @f
        // CHECK: nn.neg
        // CHECK-LABEL: graph @g
        """);
    assertTrue(inRegion.startsWith("t.kir:2: CHECK: nn.neg\n  expected text not found"), inRegion);
  }

  @Test
  void capturesAreReusedAndChecked() {
    assertDoesNotThrow(() -> check("""
        // CHECK: %[[R:[0-9]+]] = nn.relu(%[[X:[a-z]+]])
        // CHECK-NEXT: nn.exp(%[[R]])
        // CHECK: graph @g
        // CHECK: %[[N:[0-9]+]] = nn.neg
        // CHECK-NEXT: return(%[[N]])
        """));
    String msg = failure("""
        // CHECK: %[[R:[0-9]+]] = nn.exp
        // CHECK: nn.neg(%[[R]])
        """);
    assertTrue(msg.startsWith("t.kir:2: CHECK: nn.neg(%[[R]])\n  expected text not found after line 3"), msg);
    assertTrue(msg.contains("variables: {R=1}"), msg);
  }

  @Test
  void captureUsedOnItsOwnLineIsABackreference() {
    assertDoesNotThrow(() -> FileCheck.match(FileCheck.directives("// CHECK: [[A:[a-z]+]] + [[A]]", 1), "x + x", "t"));
    assertThrows(FileCheck.Failure.class,
        () -> FileCheck.match(FileCheck.directives("// CHECK: [[A:[a-z]+]] + [[A]] =", 1), "x + y =", "t"));
  }

  @Test
  void regexBlocksMatchLiterally() {
    assertDoesNotThrow(() -> check("// CHECK: nn.{{relu|exp}}(%x) : f32[{{[0-9]+}}]"));
  }

  @Test
  void mistakesInTheChecksAreReported() {
    assertTrue(failure("// CHECK: return(%[[NOPE]])").contains("variable [[NOPE]] is used before it is defined"));
    assertTrue(failure("// CHECK-NEXT: return").contains("needs a CHECK or CHECK-LABEL before it"));
    String none = assertThrows(FileCheck.Failure.class, () -> FileCheck.match(List.of(), OUT, "t.kir")).getMessage();
    assertTrue(none.contains("no CHECK lines"), none);
  }
}
