package dev.kiln.passes.fold;

import dev.kiln.ir.Graph;
import dev.kiln.passes.Pass;
import dev.kiln.passes.Program;
import dev.kiln.passes.rewrite.GreedyRewriter;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.shapes.ShapeInference;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code fold}: constant folding through the reference kernels ({@link ConstantFoldPattern}), algebraic identities
 * ({@link ArithPatterns}), movement and no-op simplification ({@link ShapePatterns}) and TorchScript leftovers
 * ({@link TorchScriptCleanupPatterns}), driven to a fixed point by the {@link GreedyRewriter}. When a rewrite put
 * a more precisely typed value in place of another (an element taken out of a list), types are re-inferred so
 * that users agree. Stateless.
 */
public final class FoldPass implements Pass {
  /** Every pattern of the pass, in the order they are tried at a node. */
  public static List<RewritePattern> patterns() {
    List<RewritePattern> all = new ArrayList<>();
    all.addAll(TorchScriptCleanupPatterns.all());
    all.addAll(ArithPatterns.all());
    all.addAll(ShapePatterns.all());
    all.add(new ConstantFoldPattern());
    return all;
  }

  private static final GreedyRewriter DRIVER = new GreedyRewriter(patterns());

  @Override public String name() { return "fold"; }

  @Override public String summary() {
    return "fold constants, algebraic identities (x*1, x+0, reshape/permute chains), TorchScript tuples/lists/sizes/known ifs";
  }

  @Override public Graph run(Graph g) { return run(Program.of(g)).graph(); }

  @Override public Program run(Program p) {
    // Refined types can enable more rewrites (a reshape whose input became exactly its output type): re-infer and
    // go again, a few rounds at most, since each round only makes types more precise.
    for (int round = 0; round < 4; round++) {
      GreedyRewriter.Result r = DRIVER.run(p);
      if (!r.refinedTypes() || ShapeInference.refine(p.graph()) == 0) break;
    }
    return p;
  }
}
