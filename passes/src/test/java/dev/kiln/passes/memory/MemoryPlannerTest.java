package dev.kiln.passes.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.fuse.FusePass;
import dev.kiln.passes.fuse.TestModels;
import dev.kiln.passes.layout.NhwcPass;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Liveness, in-place updates and arena placement on small graphs, and the totals on a ResNet. */
class MemoryPlannerTest {
  private static Value named(Graph g, String name) {
    for (Node n : g.allNodes()) for (Value r : n.results()) if (name.equals(r.name())) return r;
    throw new AssertionError("no %" + name);
  }

  @Test
  void elementwiseChainRunsInPlaceInOneBuffer() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[16]) -> (f32[16]) {
          %a = nn.exp(%x) : f32[16]
          %b = nn.neg(%a) : f32[16]
          %c = nn.relu(%b) : f32[16]
          %d = nn.tanh(%c) : f32[16]
          return(%d)
        }
        """, "g.kir");
    MemoryPlan p = MemoryPlanner.plan(g);
    assertEquals(List.of(), p.check());
    // %a cannot overwrite the parameter; %b and %c overwrite their operand; %d is the output.
    assertNull(p.slot(named(g, "a")).inPlaceOf());
    assertSame(named(g, "a"), p.slot(named(g, "b")).inPlaceOf());
    assertSame(named(g, "b"), p.slot(named(g, "c")).inPlaceOf());
    assertTrue(p.slot(named(g, "d")).output());
    assertEquals(64, p.arenaBytes(), "16 floats, one aligned buffer");
    assertEquals(3 * 64, p.naiveBytes());
    assertEquals(64, p.outputBytes());
    assertEquals(2, p.inPlaceCount());
  }

  @Test
  void buffersAreReusedOnceDeadButNotWhileLive() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4,4], %w: f32[4,4]) -> (f32[4,4]) {
          %a = nn.matmul(%x, %w) : f32[4,4]
          %b = nn.matmul(%a, %w) : f32[4,4]
          %c = nn.matmul(%b, %a) : f32[4,4]
          %d = nn.matmul(%c, %w) : f32[4,4]
          %e = nn.matmul(%d, %w) : f32[4,4]
          return(%e)
        }
        """, "g.kir");
    MemoryPlan p = MemoryPlanner.plan(g);
    assertEquals(List.of(), p.check());
    // a lives to c; b and c overlap a; d can take a's place (a died at c), but not c's (c is d's operand).
    MemoryPlan.Slot a = p.slot(named(g, "a")), b = p.slot(named(g, "b")), c = p.slot(named(g, "c")), d = p.slot(named(g, "d"));
    assertEquals(List.of(0, 2), List.of(a.first(), a.last()));
    assertTrue(a.offset() != b.offset() && a.offset() != c.offset() && b.offset() != c.offset());
    assertTrue(d.offset() != c.offset());
    assertEquals(3 * 64, p.arenaBytes());
    assertEquals(3 * 64, p.liveBytes());
    assertEquals(4 * 64, p.naiveBytes());
  }

  @Test
  void viewsKeepTheirSourceAliveAndBlockInPlace() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4,4]) -> (f32[4,4]) {
          %r = nn.relu(%x) : f32[4,4]
          %t = nn.transpose(%r) {dim0=0, dim1=1} : f32[4,4]
          %s = nn.add(%r, %t) : f32[4,4]
          %e = nn.exp(%s) : f32[4,4]
          %n = nn.neg(%e) : f32[4,4]
          return(%n)
        }
        """, "g.kir");
    MemoryPlan p = MemoryPlanner.plan(g);
    assertNull(p.slot(named(g, "t")), "a view has no storage of its own");
    // %s may not overwrite %r: it reads %r transposed at the same time.
    assertNull(p.slot(named(g, "s")).inPlaceOf());
    assertSame(named(g, "s"), p.slot(named(g, "e")).inPlaceOf());
    assertEquals(2, p.slot(named(g, "r")).last());
    assertEquals(List.of(), p.check());
  }

  @Test
  void valuesUsedInsideBlocksLiveUntilTheirHolderAndDynamicShapesAreListed() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[8], %c: bool, %y: f32[N,8]) -> (f32[8], f32[N,8]) {
          %a = nn.exp(%x) : f32[8]
          %b = nn.neg(%x) : f32[8]
          %r = if(%c) : f32[8] {
            %i = nn.add(%a, %b) : f32[8]
            yield(%i)
          } {
            yield(%a)
          }
          %z = nn.relu(%y) : f32[N,8]
          %o = nn.tanh(%r) : f32[8]
          return(%o, %z)
        }
        """, "g.kir");
    MemoryPlan p = MemoryPlanner.plan(g);
    // Used inside the if (position 2), and %r may be either of them as far as liveness knows (it is %a when the
    // else block runs): both stay alive as long as %r is used, at position 4.
    assertEquals(4, p.slot(named(g, "a")).last());
    assertEquals(4, p.slot(named(g, "b")).last());
    assertEquals(List.of(named(g, "z")), p.dynamic());
    assertNull(p.slot(named(g, "r")), "if results are not planned: they may be an outer value");
    assertEquals(List.of(), p.check());
    assertFalse(p.describe().isEmpty());
  }

  @Test
  void listsKeepTheirElementsAliveAndConcatenationCopies() {
    Graph g = IrParser.parse("""
        graph @g(%y: f32[2,8], %i: int) -> (f32[4,8]) {
          %r = nn.relu(%y) : f32[2,8]
          %l = prim.list(%r, %y) : list<f32[2,8]>
          %e = prim.list_get(%l, %i) : f32[2,8]
          %n = nn.neg(%y) : f32[2,8]
          %c = nn.cat(%e, %n) {dim=0} : f32[4,8]
          %o = nn.exp(%c) : f32[4,8]
          return(%o)
        }
        """, "g.kir");
    MemoryPlan p = MemoryPlanner.plan(g);
    assertNull(p.slot(named(g, "e")), "taken out of a list: a view of what the list holds");
    assertEquals(4, p.slot(named(g, "r")).last(), "alive through the list until cat reads the element");
    assertEquals(4, p.slot(named(g, "c")).first(), "cat writes a new tensor");
    assertSame(named(g, "c"), p.slot(named(g, "o")).inPlaceOf() == null ? named(g, "c") : null, "the output is not written in place");
    assertEquals(List.of(), p.check());
  }

  @Test
  void checkReportsOverlappingSlots() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4]) -> (f32[4]) {
          %a = nn.exp(%x) : f32[4]
          %b = nn.neg(%x) : f32[4]
          %c = nn.add(%a, %b) : f32[4]
          return(%c)
        }
        """, "g.kir");
    Value a = named(g, "a"), b = named(g, "b");
    MemoryPlan bad = new MemoryPlan(List.of(new MemoryPlan.Slot(a, 0, 0, 64, 0, 2, false, null),
        new MemoryPlan.Slot(b, 1, 0, 64, 1, 2, false, null)), 64, 128, 128, 0, List.of());
    assertEquals(List.of("%a and %b overlap in time and in the arena"), bad.check());
    assertEquals(List.of(), MemoryPlanner.plan(g).check());
  }

  @Test
  void resnetPlanFigures() {
    for (boolean optimized : new boolean[] {false, true}) {
      TestModels m = new TestModels(21);
      m.batchNorm = !optimized;
      Graph g = m.resnet(224, 64, 128, 256, 512);
      if (optimized) new NhwcPass().run(new FusePass().run(g));
      MemoryPlan p = MemoryPlanner.plan(g);
      assertEquals(List.of(), p.check());
      assertTrue(p.arenaBytes() < p.naiveBytes() / 2, p.summary());
      assertTrue(p.arenaBytes() >= p.liveBytes() || p.inPlaceCount() > 0, p.summary());
      System.out.println("resnet18-shaped 1x3x224x224" + (optimized ? " after fuse,nhwc: " : " (conv, bn, relu unfused): ") + p.summary()
          + (optimized ? ", " + NhwcPass.countConversions(g) + " layout conversions" : ""));
    }
  }
}
