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
  void optionsGoToThePassAndBadOnesAreNamed() {
    PassManager pm = PassManager.parse("specialize=N:1;T:8, fold");
    assertEquals(java.util.Map.of("N", 1L, "T", 8L), ((dev.kiln.passes.shapes.SpecializePass) pm.passes().get(0)).bindings());
    assertEquals("specialize=N:1;T:8,fold", pm.toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("dce=fast"));
    assertTrue(e.getMessage().contains("pass 'dce' takes no options"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> PassManager.parse("specialize=N"));
    assertTrue(e.getMessage().contains("expected SYMBOL:SIZE"), e.getMessage());
  }

  private static Pass needing(String name, String... before) {
    return new Pass() {
      @Override public String name() { return name; }
      @Override public String summary() { return "test pass"; }
      @Override public List<String> requires() { return List.of(before); }
      @Override public Graph run(Graph g) { return g; }
    };
  }

  @Test
  void prerequisitesMustRunEarlier() {
    Pass shapes = Passes.get("shapes");
    new PassManager(List.of(shapes, needing("plan", "shapes")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new PassManager(List.of(needing("plan", "shapes"), shapes)));
    assertTrue(e.getMessage().contains("pass 'plan' requires 'shapes' to run before it"), e.getMessage());
  }

  @Test
  void reportsTimeAndNodeCountsAndPrintsAfterNamedPassesOnly() {
    List<PassRun> runs = new ArrayList<>();
    List<String> printed = new ArrayList<>();
    PassManager.parse("fold,dce,verify").onPassRun(runs::add)
        .printAfter(java.util.Set.of("dce"), (p, text) -> printed.add(p.name())).run(graphWithDeadNode());
    assertEquals(List.of("fold", "dce", "verify"), runs.stream().map(PassRun::pass).toList());
    assertEquals(3, runs.get(0).nodesBefore());
    assertEquals(2, runs.get(2).nodesAfter(), "the dead exp is gone by the end");
    assertTrue(runs.stream().allMatch(r -> r.nanos() >= 0 && r.graph().equals("f")));
    assertTrue(runs.get(1).line(6).matches("dce {4} @f +[0-9.]+ ms +[23] -> 2 nodes"), runs.get(1).line(6));
    assertEquals(List.of("dce"), printed);
  }

  @Test
  void levelsParseAndNameOnlyRegisteredPasses() {
    for (int level = 0; level <= 2; level++) assertTrue(PassManager.parse(Pipelines.level(level)).passes().size() > 0);
    assertEquals(List.of("verify"), PassManager.parse(Pipelines.level(0)).passes().stream().map(Pass::name).toList());
    assertTrue(Pipelines.level(2).startsWith(Pipelines.level(1) + ","), "-O2 extends -O1");
    assertThrows(IllegalArgumentException.class, () -> Pipelines.level(3));
  }

  @Test
  void weightsTravelWithTheProgram() {
    Graph g = graphWithDeadNode();
    java.util.Map<String, dev.kiln.runtime.Tensor> w = java.util.Map.of("a", dev.kiln.runtime.Tensor.fromFloats(new float[] {1f}, 1));
    Program p = Program.of(g, w);
    Program out = PassManager.parse("dce").run(p);
    assertTrue(out.weights().containsKey("a"));
    out.weights().put("b", w.get("a"));
    assertEquals(1, w.size(), "the caller's map is copied, not changed");
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
