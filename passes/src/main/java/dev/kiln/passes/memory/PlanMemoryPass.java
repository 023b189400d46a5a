package dev.kiln.passes.memory;

import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.passes.Pass;
import java.util.List;

/**
 * Plans activation memory ({@link MemoryPlanner}) and checks the plan; the graph is not changed. The plan is not
 * stored in the IR (op schemas declare no buffer attributes): lowering calls {@link MemoryPlanner#plan} on the final
 * graph, which gives the same plan, since planning is deterministic. Put this pass last in a pipeline. The summary
 * (arena bytes after, naive bytes before, in-place count) is logged at DEBUG level on the
 * {@code dev.kiln.passes.memory} logger.
 */
public final class PlanMemoryPass implements Pass {
  private static final System.Logger LOG = System.getLogger("dev.kiln.passes.memory");

  @Override public String name() { return "plan-memory"; }

  @Override public String summary() { return "plan activation buffers with reuse and in-place updates (analysis; graph unchanged)"; }

  @Override public Graph run(Graph g) {
    MemoryPlan plan = MemoryPlanner.plan(g);
    List<String> bad = plan.check();
    if (!bad.isEmpty()) throw new IrException("memory plan of @" + g.name() + " is wrong: " + String.join("; ", bad));
    LOG.log(System.Logger.Level.DEBUG, () -> "plan-memory @" + g.name() + ": " + plan.summary());
    return g;
  }
}
