package dev.kiln.passes;

import dev.kiln.ir.Graph;

/**
 * One step of a pipeline: rewrites a graph in place or returns a new one. A pass is stateless between runs, so one
 * instance may be run on many graphs (one at a time or concurrently on different graphs).
 */
public interface Pass {
  /** The name used in pipeline strings, e.g. {@code dce}; lower case, words joined by {@code -}. */
  String name();

  /** One line saying what the pass does, shown by {@code kiln passes} and in errors listing known passes. */
  String summary();

  /**
   * Runs the pass.
   *
   * @param g the graph, never null; the pass may change it
   * @return the resulting graph: {@code g} itself when rewritten in place, or a new graph (never null)
   */
  Graph run(Graph g);
}
