package dev.kiln.passes.rewrite;

import dev.kiln.ir.Node;
import java.util.Set;

/**
 * A local rewrite: matches a few nodes rooted at one node and replaces them, always leaving a valid graph. Patterns
 * are stateless; the algebra they implement is written as a comment above each one.
 */
public interface RewritePattern {
  /** A short name for messages, e.g. {@code mul-by-one}. */
  String name();

  /** Op names the root may have; the driver offers the pattern only nodes of these ops. Empty means any op. */
  Set<String> roots();

  /**
   * Tries to rewrite at {@code root}. Must change nothing and return false when it does not match; all edits go
   * through {@code rw} so that the driver sees what changed.
   *
   * @param root an attached node whose op is one of {@link #roots()}
   * @return true if the graph was changed
   */
  boolean matchAndRewrite(Node root, Rewriter rw);

  /** A pattern from a name, roots and a function, for one-rule patterns. */
  static RewritePattern of(String name, Set<String> roots, Rule rule) {
    return new RewritePattern() {
      @Override public String name() { return name; }

      @Override public Set<String> roots() { return roots; }

      @Override public boolean matchAndRewrite(Node root, Rewriter rw) { return rule.apply(root, rw); }

      @Override public String toString() { return name; }
    };
  }

  /** The body of a one-rule pattern. */
  @FunctionalInterface
  interface Rule {
    boolean apply(Node root, Rewriter rw);
  }
}
