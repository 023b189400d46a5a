package dev.kiln.passes.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.fuse.FusePass;
import dev.kiln.passes.fuse.Numerics;
import dev.kiln.passes.fuse.TestModels;
import dev.kiln.passes.layout.NhwcPass;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pass plans and checks but leaves the graph as it was; the whole -O2 tail keeps the numbers. */
class PlanMemoryPassTest {
  @Test
  void leavesTheGraphUnchangedAndThePlanIsDeterministic() {
    TestModels m = new TestModels(31);
    Graph g = m.attention(1, 2, 4, 8, true);
    String before = IrPrinter.print(g);
    new PlanMemoryPass().run(g);
    assertEquals(before, IrPrinter.print(g));
    assertEquals(MemoryPlanner.plan(Numerics.copy(g)).describe(), MemoryPlanner.plan(Numerics.copy(g)).describe());
  }

  @Test
  void fuseNhwcPlanKeepsResnetOutputs() {
    TestModels m = new TestModels(32);
    Graph g = m.resnet(16, 4, 8);
    Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 16, 16)), new FusePass(), new NhwcPass(), new PlanMemoryPass());
  }
}
