package dev.kiln.passes.shapes;

import dev.kiln.ir.Graph;
import dev.kiln.passes.Pass;

/** {@code shapes}: shape inference over the whole graph (see {@link ShapeInference}). Stateless. */
public final class ShapesPass implements Pass {
  @Override public String name() { return "shapes"; }

  @Override public String summary() { return "re-infer every type in order, making unknown dims known or symbolic"; }

  @Override public Graph run(Graph g) {
    ShapeInference.refine(g);
    return g;
  }
}
