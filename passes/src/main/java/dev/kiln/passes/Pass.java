package dev.kiln.passes;

import dev.kiln.ir.Graph;
import java.util.List;

/**
 * One step of a pipeline: rewrites a graph in place or returns a new one. A pass is stateless between runs, so one
 * instance may be run on many graphs (one at a time or concurrently on different graphs); options are fixed when the
 * instance is made ({@link #withOptions}).
 *
 * <p>Passes that read or add weights override {@link #run(Program)}; all others implement {@link #run(Graph)} only.
 * The {@link PassManager} always calls {@link #run(Program)}.
 */
public interface Pass {
  /** The name used in pipeline strings, e.g. {@code dce}; lower case, words joined by {@code -}. */
  String name();

  /** One line saying what the pass does, shown by {@code kiln passes} and in errors listing known passes. */
  String summary();

  /**
   * Passes that must appear earlier in any pipeline running this one; the {@link PassManager} checks it when
   * parsing. Empty by default. Prerequisites are about what a pass can see (for example static shapes), never
   * about correctness: every pass leaves a valid graph whatever ran before.
   */
  default List<String> requires() { return List.of(); }

  /** What the option after {@code =} in a pipeline means (for example {@code "N:1 binds symbol N to 1"}); empty when none. */
  default String optionsHelp() { return ""; }

  /**
   * A copy of this pass configured by the option text of a pipeline entry {@code name=value}.
   *
   * @param value the text after {@code =}, not null
   * @throws IllegalArgumentException if the pass takes no options or the value is malformed (naming the pass)
   */
  default Pass withOptions(String value) {
    throw new IllegalArgumentException("pass '" + name() + "' takes no options, got '" + name() + "=" + value + "'");
  }

  /**
   * Runs the pass on a graph alone (no weights known).
   *
   * @param g the graph, never null; the pass may change it
   * @return the resulting graph: {@code g} itself when rewritten in place, or a new graph (never null)
   */
  Graph run(Graph g);

  /**
   * Runs the pass on a program. The default runs {@link #run(Graph)} on its graph; passes that use the weight table
   * override this and make {@link #run(Graph)} call it with {@link Program#of(Graph)}.
   *
   * @param p the program, never null; the pass may change its graph and add weights
   * @return the resulting program (may be {@code p})
   */
  default Program run(Program p) { return p.withGraph(run(p.graph())); }
}
