package dev.kiln.passes;

/**
 * What one pass did to one graph, as the {@link PassManager} reports it.
 *
 * @param pass the pass name (with its options, as written in the pipeline)
 * @param graph the graph name, without {@code @}
 * @param nanos wall-clock time of the pass alone (verification excluded)
 * @param nodesBefore nodes in the graph before the pass, nested blocks included
 * @param nodesAfter nodes after it
 */
public record PassRun(String pass, String graph, long nanos, int nodesBefore, int nodesAfter) {
  /** One line such as {@code fold        @forward   1.25 ms   120 -> 97 nodes}. */
  public String line(int nameWidth) {
    return String.format("%-" + Math.max(1, nameWidth) + "s  @%s  %8.2f ms  %6d -> %d nodes", pass, graph, nanos / 1e6, nodesBefore, nodesAfter);
  }
}
