package dev.kiln.passes;

import java.util.List;

/**
 * The optimization levels, each a pipeline string for {@link PassManager#parse}, one pass per line with why it is
 * there. -O0 only checks; -O1 cleans up what importers leave; -O2 also changes the computation's structure.
 */
public final class Pipelines {
  private Pipelines() {}

  /** -O0: nothing but a check that the graph is valid. */
  public static final List<String> O0 = List.of(
      "verify"); // catches malformed imports before anything runs on them

  /** -O1: simplification that keeps every op the model wrote, only fewer of them. */
  public static final List<String> O1 = List.of(
      "shapes", // make dims known first, so that size queries and reshapes can fold
      "fold",   // constants, identities, tuples/lists/sizes and known ifs (needs shapes for sizes)
      "cse",    // merge the duplicates that folding exposed (equal constants, repeated size queries)
      "dce",    // drop what nothing uses any more
      "shapes"); // re-infer after the rewrites so every type is as precise as it can be

  /** -O2: -O1, then structural rewrites. */
  public static final List<String> O2 = concat(O1, List.of(
      "fold-bn", // fold eval-mode batch norm and per-channel mul/add into conv/linear weights
      "fold",    // fold-bn leaves identities (mul by one) and dead constants behind
      "dce",     // remove the batch norms' parameter constants
      // (quantize=dynamic|static is not part of a level; kiln compile --quantize inserts it here, before fuse)
      // ---- fuse/layout/memory passes (owned by their package's engineer) go below, in this order:
      "fuse",        // group elementwise chains, conv/linear epilogues and attention into fused nodes
      "nhwc",        // channels-last layout around convolutions, cancelling back-to-back layout changes
      "plan-memory"  // assign activation buffers from liveness; last, since it describes the final graph
  ));

  /** The pipeline string for optimization level 0, 1 or 2. */
  public static String level(int level) {
    return switch (level) {
      case 0 -> String.join(",", O0);
      case 1 -> String.join(",", O1);
      case 2 -> String.join(",", O2);
      default -> throw new IllegalArgumentException("optimization level must be 0, 1 or 2, got " + level);
    };
  }

  private static List<String> concat(List<String> a, List<String> b) {
    java.util.ArrayList<String> out = new java.util.ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }
}
