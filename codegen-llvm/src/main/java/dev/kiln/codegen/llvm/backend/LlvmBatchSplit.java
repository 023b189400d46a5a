package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.passes.analysis.BatchSplitRule;
import dev.kiln.passes.analysis.BatchSplitRule.Mode;
import dev.kiln.runtime.nativelib.NativePlan;

/**
 * The LLVM backend's batch split: a batch-separable graph whose batch is not 1 and whose activations outweigh its
 * weights ({@link BatchSplitRule}, the JVM backend's rule) is compiled for batch 1, and its plan runs once per
 * sample ({@link NativePlan#batch}; the runtime's {@code SampleLoop} copies sample {@code i} in and row {@code i}
 * out around the run steps). JIT ({@link LlvmBackend#compile(Graph, java.util.Map, LlvmOptions)}) and AOT
 * ({@code AotModelCompiler}) both decide here, so they run the same code on the same samples.
 *
 * <p>{@code -Dkiln.llvm.batchSplit=false} turns it off, {@code =always} drops the cost rule (read at each compile).
 * A symbolic batch ({@code f32[N,3,224,224]}) is split whenever the graph is separable and the switch is not
 * {@code false}: unsplit, every op whose shape keeps {@code N} runs on the interpreter (the backend's loops need static
 * shapes), while the batch-1 plan is native and loops over however many samples a call has.
 */
public final class LlvmBatchSplit {
  private LlvmBatchSplit() {}

  public static final String PROPERTY = "kiln.llvm.batchSplit";

  /**
   * @param graph what to lower: the batch-1 graph, or the given graph when there is no split
   * @param batch 1 (no split), the static batch, or 0 for a symbolic one ({@link NativePlan#batch})
   */
  public record Plan(Graph graph, long batch) {
    /** {@code plan}, compiled from {@link #graph}, as the plan the runtime runs. */
    public NativePlan apply(NativePlan plan) { return batch == 1 ? plan : plan.withBatch(batch); }
  }

  /** The split for {@code optimized} under the switch as it is now; never null. */
  public static Plan of(Graph optimized) {
    Mode mode = Mode.parse(System.getProperty(PROPERTY, "true"));
    if (mode == Mode.COST && symbolicBatch(optimized)) mode = Mode.ALWAYS;
    BatchSplitRule.Split s = BatchSplitRule.plan(optimized, mode);
    if (s == null) return new Plan(optimized, 1);
    return new Plan(s.perSample(), s.batch().isStatic() ? s.batch().size() : 0);
  }

  private static boolean symbolicBatch(Graph g) {
    return !g.params().isEmpty() && g.params().get(0).type() instanceof TensorType t && t.shape().isRanked() && t.rank() > 0
        && t.shape().dim(0).isSymbolic();
  }
}
