package dev.kiln.ir.verify;

import static dev.kiln.ir.verify.Graphs.named;
import static dev.kiln.ir.verify.Graphs.raw;
import static dev.kiln.ir.verify.Graphs.t;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.VerifyException;
import dev.kiln.ir.ops.ElementwiseOps;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A full valid graph verifies clean; verify() throws one exception listing every problem. */
class VerifierValidGraphTest {
  @Test
  void docsExampleWithWeightsIfAndLoopVerifiesClean() {
    Graph g = Graphs.docsExample();
    assertEquals(List.of(), Verifier.check(g));
    assertDoesNotThrow(() -> Verifier.verify(g));
    // The builder inferred what docs/ir.md writes.
    assertEquals("f32[N,4,8,8]", g.allNodes().get(2).result().type().text());
    assertEquals(List.of("f32[N,2]", "f32[N,2]"),
        g.allNodes().stream().filter(n -> n.op().name().equals("nn.chunk")).findFirst().orElseThrow()
            .results().stream().map(v -> v.type().text()).toList());
  }

  @Test
  void verifyingDoesNotChangeTheGraph() {
    Graph g = Graphs.docsExample();
    List<String> before = g.allNodes().stream().map(n -> n.describe() + n.results()).toList();
    Verifier.check(g);
    assertEquals(before, g.allNodes().stream().map(n -> n.describe() + n.results()).toList());
  }

  @Test
  void verifyThrowsOneExceptionListingEveryProblemInProgramOrder() {
    Graph g = new Graph("net");
    Value x = g.addParam(t("f32[2,3]"), "x");
    Value y = g.addParam(t("f32[3,3]"), "y");
    named(raw(g.body(), ElementwiseOps.ADD, List.of(x, y), Map.of(), "f32[2,3]").result(), "1");
    named(raw(g.body(), ElementwiseOps.RELU, List.of(x), Map.of(), "f32[3,2]").result(), "2");
    VerifyException e = assertThrows(VerifyException.class, () -> Verifier.verify(g));
    assertInstanceOf(IrException.class, e);
    List<String> expected = List.of(
        "%1 = nn.add: shapes f32[2,3] and f32[3,3] do not broadcast",
        "%2 = nn.relu: result 0 is written f32[3,2] but inferred f32[2,3]",
        "the body of graph @net must end with return, but ends with %2 = nn.relu");
    assertEquals(expected, e.problems());
    assertEquals("net", e.graphName());
    assertEquals("graph @net is invalid (3 problems):\n  " + String.join("\n  ", expected), e.getMessage());
  }

  @Test
  void unnamedValuesAreFoundByTheirPosition() {
    Graph g = new Graph("g");
    Value x = g.addParam(t("f32[2]"), null);
    Node relu = raw(g.body(), ElementwiseOps.RELU, List.of(x), Map.of(), "f32[4]");
    Builder.atEnd(g.body()).ret(relu.result());
    assertEquals(List.of("%<unnamed> = nn.relu (node 0 of the body of graph @g): result 0 is written f32[4] but inferred f32[2]"),
        Verifier.check(g));
  }

  @Test
  void exceptionForOneProblemSaysSo() {
    VerifyException e = new VerifyException("g", List.of("%1 = nn.relu: broken"));
    assertTrue(e.getMessage().startsWith("graph @g is invalid (1 problem):"), e.getMessage());
  }
}
