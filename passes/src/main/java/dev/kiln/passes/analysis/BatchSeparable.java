package dev.kiln.passes.analysis;

import dev.kiln.ir.Block;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.HashSet;
import java.util.Set;

/**
 * Whether a graph is batch-separable: every op treats each sample of dim 0 independently, so running the graph on
 * {@code [N,...]} equals running it N times on {@code [1,...]} slices and stacking the results. A backend may then
 * compile the graph for batch 1 ({@link PerSampleGraph}) and loop over the samples, keeping one sample's activations
 * in cache.
 *
 * <p>Conservative by construction: a value is <em>batched</em> (its dim 0 is the batch) when it comes from a
 * parameter or from an op with a rule below applied to batched operands; values computed only from constants are
 * <em>unbatched</em>. Every parameter must be a ranked tensor with the same dim 0, every result batched. Any op
 * without a rule, any rule whose condition fails (an op touching dim 0, an unbatched operand that would broadcast
 * along dim 0, a 3-D conv input whose dim 0 is channels, size queries on a batched value, control flow, quantized
 * and sequence ops) makes the graph not separable, with the reason.
 *
 * <p>Stateless; reads the graph only.
 */
public final class BatchSeparable {
  private BatchSeparable() {}

  /**
   * @param separable whether the graph is batch-separable
   * @param reason why not (the first node or value that failed); empty when separable
   * @param batch the common dim 0 of the parameters (static or symbolic), null when not separable
   * @param batched the values whose dim 0 is the batch (parameters, results, fused block values); empty when not separable
   */
  public record Result(boolean separable, String reason, Dim batch, Set<Value> batched) {
    static Result no(String why) { return new Result(false, why, null, Set.of()); }
  }

  /** Analyzes {@code g}; never throws for a well-formed graph. */
  public static Result analyze(Graph g) {
    if (g.params().isEmpty()) return Result.no("the graph has no parameters");
    Dim batch = null;
    Set<Value> batched = new HashSet<>();
    for (Value p : g.params()) {
      if (!(p.type() instanceof TensorType t) || !t.shape().isRanked() || t.rank() == 0)
        return Result.no("parameter %" + p.displayName() + " is not a tensor with a dim 0: " + p.type().text());
      Dim d0 = t.shape().dim(0);
      if (d0.isUnknown()) return Result.no("parameter %" + p.displayName() + " has an unknown dim 0");
      if (batch == null) batch = d0;
      else if (!batch.equals(d0)) return Result.no("parameters disagree on dim 0: " + batch + " and " + d0 + " (%" + p.displayName() + ")");
      batched.add(p);
    }
    String why = new Walk(batched, batch).block(g.body());
    if (why != null) return Result.no(why);
    for (Value r : g.results())
      if (!batched.contains(r)) return Result.no("result %" + r.displayName() + " does not carry the batch in dim 0");
    return new Result(true, "", batch, Set.copyOf(batched));
  }

  /** Marks batched values in program order; returns the first reason the graph is not separable, or null. */
  private record Walk(Set<Value> batched, Dim batch) {
    String block(Block b) {
      for (Node n : b.nodes()) {
        String name = n.op().name();
        if (name.equals("return") || name.equals("yield")) continue;
        boolean any = false;
        for (Value v : n.operands()) any |= batched.contains(v);
        if (!any) {
          if (!n.blocks().isEmpty()) return n.describe() + ": has blocks";
          continue; // computed from constants only: the same in every sample
        }
        String why = n.op().name().equals("fused") ? fused(n) : OpRules.check(n, batched::contains);
        if (why != null) return n.describe() + ": " + why;
        for (Value r : n.results()) {
          if (!(r.type() instanceof TensorType t) || !t.shape().isRanked() || t.rank() == 0 || !t.shape().dim(0).equals(batch))
            return n.describe() + ": result %" + r.displayName() + " " + r.type().text() + " does not keep the batch " + batch + " in dim 0";
          batched.add(r);
        }
      }
      return null;
    }

    /** A fused node: its block arguments mirror its operands; its results are what the block yields. */
    private String fused(Node n) {
      Block body = n.block(0);
      for (int i = 0; i < body.args().size() && i < n.numOperands(); i++)
        if (batched.contains(n.operand(i))) batched.add(body.arg(i));
      String why = block(body);
      if (why != null) return why;
      Node y = body.terminator();
      if (y == null) return "fused block without a yield";
      for (Value v : y.operands()) if (!batched.contains(v)) return "fused block yields %" + v.displayName() + ", which is not batched";
      return null;
    }
  }
}
