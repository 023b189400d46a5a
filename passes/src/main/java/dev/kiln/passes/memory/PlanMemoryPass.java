package dev.kiln.passes.memory;

import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassRun;
import java.util.List;

/**
 * Plans activation memory ({@link MemoryPlanner}) and checks the plan; the graph is not changed. The plan is not
 * stored in the IR (op schemas declare no buffer attributes): lowering calls {@link MemoryPlanner#plan} on the final
 * graph, which gives the same plan, since planning is deterministic. Put this pass last in a pipeline. The summary
 * is logged at DEBUG level on the {@code dev.kiln.passes.memory} logger and reported as figures
 * ({@link PassRun#figure}): {@code unplanned-bytes} (every activation in its own buffer: {@link MemoryPlan#naiveBytes}),
 * {@code arena-bytes} (the planned arena), {@code live-peak-bytes} (most bytes live at once), {@code output-bytes},
 * {@code in-place} (results written over a dying operand) and {@code dynamic} (values sized at run time, in no figure).
 */
public final class PlanMemoryPass implements Pass {
  private static final System.Logger LOG = System.getLogger("dev.kiln.passes.memory");

  @Override public String name() { return "plan-memory"; }

  @Override public String summary() { return "plan activation buffers with reuse and in-place updates (analysis; graph unchanged)"; }

  @Override public Graph run(Graph g) {
    MemoryPlan plan = MemoryPlanner.plan(g);
    List<String> bad = plan.check();
    if (!bad.isEmpty()) throw new IrException("memory plan of @" + g.name() + " is wrong: " + String.join("; ", bad));
    PassRun.figure("unplanned-bytes", plan.naiveBytes());
    PassRun.figure("arena-bytes", plan.arenaBytes());
    PassRun.figure("live-peak-bytes", plan.liveBytes());
    PassRun.figure("output-bytes", plan.outputBytes());
    PassRun.figure("in-place", plan.inPlaceCount());
    PassRun.figure("dynamic", plan.dynamic().size());
    LOG.log(System.Logger.Level.DEBUG, () -> "plan-memory @" + g.name() + ": " + plan.summary());
    return g;
  }
}
