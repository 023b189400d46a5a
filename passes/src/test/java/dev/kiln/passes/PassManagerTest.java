package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PassManagerTest {
  private static Graph graphWithDeadNode() {
    Graph g = new Graph("f");
    Value x = g.addParam(Type.tensor(DType.F32, 4), "x");
    Builder b = Builder.atEnd(g.body());
    b.op(ElementwiseOps.EXP, x);
    b.ret(b.op(ElementwiseOps.RELU, x));
    return g;
  }

  @Test
  void parsesNamesInOrderIgnoringBlanks() {
    assertEquals(List.of("dce", "verify"), PassManager.parse(" dce , verify ,").passes().stream().map(Pass::name).toList());
    assertEquals(List.of(), PassManager.parse("").passes());
  }

  @Test
  void unknownPassListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("dce,fold-everything"));
    assertTrue(e.getMessage().contains("unknown pass 'fold-everything'"), e.getMessage());
    assertTrue(e.getMessage().contains("known passes: dce, verify"), e.getMessage());
  }

  @Test
  void emptyPipelineLeavesTheGraphAlone() {
    Graph g = graphWithDeadNode();
    PassManager.parse("").run(g);
    assertEquals(3, g.allNodes().size());
  }

  @Test
  void runsPassesAndReportsIrAfterEach() {
    Graph g = graphWithDeadNode();
    List<String> seen = new ArrayList<>();
    PassManager pm = PassManager.parse("dce,verify").printAfterEach((p, text) -> seen.add(p.name() + ":" + text));
    pm.run(g);
    assertEquals(2, g.allNodes().size());
    assertEquals(2, seen.size());
    assertTrue(seen.get(0).startsWith("dce:graph @f("), seen.get(0));
    assertTrue(!seen.get(0).contains("nn.exp") && seen.get(0).contains("nn.relu"), seen.get(0));
  }

  @Test
  void aPassLeavingABrokenGraphIsNamed() {
    Pass breaker = new Pass() {
      @Override public String name() { return "break-return"; }
      @Override public String summary() { return "removes the terminator (test only)"; }
      @Override public Graph run(Graph g) {
        g.returnNode().erase();
        return g;
      }
    };
    IrException e = assertThrows(IrException.class, () -> new PassManager(List.of(breaker)).run(graphWithDeadNode()));
    assertTrue(e.getMessage().startsWith("pass 'break-return' on @f: "), e.getMessage());
  }

  @Test
  void registryListsEveryPassWithASummary() {
    for (Pass p : Passes.all()) {
      assertEquals(p.name(), Passes.get(p.name()).name());
      assertTrue(!p.summary().isBlank(), p.name());
    }
    assertTrue(Passes.names().contains("dce"));
  }
}
