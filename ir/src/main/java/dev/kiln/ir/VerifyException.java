package dev.kiln.ir;

import java.util.List;

/**
 * A graph that {@link Verifier#verify} rejected. The message lists every problem found, one per line, each
 * naming the node (e.g. {@code %7 = nn.add: shapes f32[1,64] and f32[1,32] do not broadcast}).
 */
public final class VerifyException extends IrException {
  private final String graphName;
  private final List<String> problems;

  /**
   * @param graphName the graph's name without '@' (may be null)
   * @param problems at least one problem, in program order (never null)
   */
  public VerifyException(String graphName, List<String> problems) {
    super(format(graphName, problems));
    this.graphName = graphName;
    this.problems = List.copyOf(problems);
  }

  /** The verified graph's name; may be null. */
  public String graphName() { return graphName; }

  /** Every problem found, in program order; never empty. */
  public List<String> problems() { return problems; }

  private static String format(String graphName, List<String> problems) {
    StringBuilder sb = new StringBuilder("graph @").append(graphName).append(" is invalid (")
        .append(problems.size()).append(problems.size() == 1 ? " problem):" : " problems):");
    for (String p : problems) sb.append("\n  ").append(p);
    return sb.toString();
  }
}
