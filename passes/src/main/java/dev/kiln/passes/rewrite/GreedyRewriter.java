package dev.kiln.passes.rewrite;

import dev.kiln.ir.Block;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Value;
import dev.kiln.passes.Program;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies a set of patterns until none matches (a fixed point), with a worklist: every node is visited in program
 * order, and whatever a rewrite touches (new nodes, users of replaced values, producers of erased nodes' operands) is
 * visited again. Unused {@code PURE} nodes met on the way are erased, so a rewrite's leftovers do not block others.
 *
 * <p>One iteration seeds the worklist with every node and drains it; iterations repeat until one changes nothing.
 * More than {@code maxIterations} iterations, or more rewrites in one iteration than a bound proportional to the
 * graph, means the patterns fight each other: that is an error naming the patterns last applied.
 *
 * <p>Stateless between {@link #run} calls; one instance may serve many graphs.
 */
public final class GreedyRewriter {
  /** What a run did. */
  public record Result(int rewrites, int erased, int iterations, boolean refinedTypes) {
    public boolean changed() { return rewrites + erased > 0; }
  }

  private final Map<String, List<RewritePattern>> byRoot = new HashMap<>();
  private final List<RewritePattern> anyRoot = new ArrayList<>();
  private final int maxIterations;

  /** @param patterns tried in list order at each node; not null */
  public GreedyRewriter(List<RewritePattern> patterns) { this(patterns, 10); }

  public GreedyRewriter(List<RewritePattern> patterns, int maxIterations) {
    for (RewritePattern p : patterns) {
      if (p.roots().isEmpty()) anyRoot.add(p);
      else for (String r : p.roots()) byRoot.computeIfAbsent(r, k -> new ArrayList<>()).add(p);
    }
    this.maxIterations = maxIterations;
  }

  /**
   * Runs to a fixed point on {@code p}'s graph.
   *
   * @throws IrException when the patterns do not converge, naming the last patterns applied
   */
  public Result run(Program p) {
    int rewrites = 0, erased = 0;
    boolean refined = false;
    for (int it = 1; it <= maxIterations; it++) {
      Deque<Node> work = new ArrayDeque<>();
      Set<Node> queued = Collections.newSetFromMap(new LinkedHashMap<>());
      for (Node n : p.graph().allNodes()) if (queued.add(n)) work.add(n);
      int budget = 20 * work.size() + 100;
      int before = rewrites + erased;
      Deque<String> recent = new ArrayDeque<>();
      while (!work.isEmpty()) {
        Node n = work.poll();
        queued.remove(n);
        if (!attached(n)) continue;
        if (isTriviallyDead(n)) {
          List<Value> ops = List.copyOf(n.operands());
          n.erase();
          erased++;
          for (Value v : ops) if (v.definingNode() != null && queued.add(v.definingNode())) work.add(v.definingNode());
          continue;
        }
        Rewriter rw = new Rewriter(p, n, m -> { if (queued.add(m)) work.add(m); });
        for (RewritePattern pat : patternsFor(n.op())) {
          if (!pat.matchAndRewrite(n, rw)) continue;
          rewrites++;
          refined |= rw.refinedTypes();
          recent.addLast(pat.name());
          if (recent.size() > 6) recent.removeFirst();
          if (rewrites + erased - before > budget)
            throw new IrException("rewrite did not converge on @" + p.graph().name() + ": more than " + budget
                + " rewrites in one iteration; last patterns applied: " + recent);
          // The root may be gone or changed: it was queued again by the rewriter if it still matters.
          if (attached(n) && queued.add(n)) work.add(n);
          break;
        }
      }
      if (rewrites + erased == before) return new Result(rewrites, erased, it, refined);
    }
    throw new IrException("rewrite did not converge on @" + p.graph().name() + " after " + maxIterations
        + " iterations (each still changed the graph)");
  }

  private List<RewritePattern> patternsFor(OpDef op) {
    List<RewritePattern> specific = byRoot.getOrDefault(op.name(), List.of());
    if (anyRoot.isEmpty()) return specific;
    List<RewritePattern> all = new ArrayList<>(specific);
    all.addAll(anyRoot);
    return all;
  }

  /** True while {@code n} is in a block that is itself part of a graph. */
  static boolean attached(Node n) {
    Block b = n.block();
    return b != null && b.graph() != null;
  }

  private static boolean isTriviallyDead(Node n) {
    if (!n.op().hasTrait(OpDef.Trait.PURE) || n.results().isEmpty()) return false;
    for (Value r : n.results()) if (r.hasUses()) return false;
    return true;
  }
}
