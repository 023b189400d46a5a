package dev.kiln.passes.fold;

import dev.kiln.ir.Graph;
import dev.kiln.passes.Pass;
import dev.kiln.passes.Program;
import dev.kiln.passes.rewrite.GreedyRewriter;

/**
 * {@code fold-bn}: folds eval-mode batch norm after conv2d/linear, and per-channel constant mul/add after conv2d,
 * into the layer's weight and bias ({@link BatchNormPatterns}). Reads and adds weights, so it needs the program's
 * weight table; run on a graph alone it folds only literal constants. Stateless.
 */
public final class FoldBnPass implements Pass {
  private static final GreedyRewriter DRIVER = new GreedyRewriter(BatchNormPatterns.all());

  @Override public String name() { return "fold-bn"; }

  @Override public String summary() { return "fold batch norm (and per-channel mul/add) into the conv2d/linear before it"; }

  @Override public Graph run(Graph g) { return run(Program.of(g)).graph(); }

  @Override public Program run(Program p) {
    DRIVER.run(p);
    return p;
  }
}
