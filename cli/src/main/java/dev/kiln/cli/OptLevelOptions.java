package dev.kiln.cli;

import dev.kiln.passes.PassManager;
import dev.kiln.passes.Pipelines;
import picocli.CommandLine.Option;

/**
 * The optimization options shared by commands that run passes: {@code -O0|-O1|-O2} or {@code -p PIPELINE}. Used as a
 * picocli mixin ({@code @Mixin OptLevelOptions optimize}); read {@link #pipeline} after parsing.
 */
final class OptLevelOptions {
  @Option(names = "-O", paramLabel = "LEVEL",
      description = "Optimization level: -O0 (verify only), -O1 (fold, cse, dce, shapes), -O2 (-O1 and fold-bn, fuse, nhwc, plan-memory).")
  Integer level;

  @Option(names = {"-p", "--passes"}, paramLabel = "PIPELINE",
      description = "Comma-separated passes instead of a level, e.g. fold,cse,dce or specialize=N:1,fold (see 'kiln passes').")
  String pipeline;

  /**
   * The pipeline the user asked for.
   *
   * @param dflt the pipeline when neither -O nor -p was given (may be empty)
   * @throws CliException when both are given or the level is not 0, 1 or 2
   */
  String pipeline(String dflt) {
    if (level != null && pipeline != null) throw new CliException("give either -O" + level + " or -p, not both");
    if (pipeline != null) return pipeline;
    if (level == null) return dflt;
    if (level < 0 || level > 2) throw new CliException("-O" + level + ": the optimization level must be 0, 1 or 2");
    return Pipelines.level(level);
  }

  /** True when -O or -p was given. */
  boolean given() { return level != null || pipeline != null; }

  /** The parsed pipeline; bad pass names and options become a {@link CliException}. */
  PassManager manager(String dflt) {
    try {
      return PassManager.parse(pipeline(dflt));
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
  }
}
