package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Size figures of a graph for {@code kiln inspect --stats} and the pass figures: node counts by op, bytes of
 * parameters, and the peak of activation bytes live at once.
 *
 * @param nodesByOp node counts by op name, nested blocks included, sorted by name
 * @param weightBytes bytes of the distinct named weights (from their written types)
 * @param literalBytes bytes of literal tensor constants
 * @param peakActivationBytes the largest sum of bytes of tensors live at one point (parameters and node results,
 *     constants excluded), or -1 when some activation has a non-static shape
 * @param nonStatic activations whose shape is not static (first few, for the message), empty when the peak is known
 */
public record GraphStats(Map<String, Integer> nodesByOp, long weightBytes, long literalBytes, long peakActivationBytes,
    List<Value> nonStatic) {

  public int nodes() { return nodesByOp.values().stream().mapToInt(Integer::intValue).sum(); }

  /** Bytes of a tensor type with a static shape, or -1. */
  public static long bytes(TensorType t) {
    long n = t.shape().numel();
    return n < 0 ? -1 : n * t.dtype().byteSize();
  }

  /**
   * Computes the figures. Liveness is over program order with nested blocks flattened after their holder: a value is
   * live from its definition to its last use (a graph result lives to the end), which is exact for straight-line
   * graphs and an upper bound inside {@code if}/{@code loop} blocks.
   */
  public static GraphStats of(Graph g) {
    Map<String, Integer> byOp = new TreeMap<>();
    Map<String, Long> weights = new LinkedHashMap<>();
    long literals = 0;
    List<Node> order = g.allNodes();
    Map<Node, Integer> pos = new LinkedHashMap<>();
    for (int i = 0; i < order.size(); i++) pos.put(order.get(i), i);
    List<Value> acts = new ArrayList<>(g.params());
    for (Node n : order) {
      byOp.merge(n.op().name(), 1, Integer::sum);
      if (n.op().name().equals("const")) {
        if (!(n.result().type() instanceof TensorType t)) continue;
        if (!n.attrIsNone("name")) weights.putIfAbsent(n.attrStr("name"), Math.max(0, bytes(t)));
        else literals += Math.max(0, bytes(t));
      } else {
        acts.addAll(n.results());
      }
    }
    List<Value> nonStatic = new ArrayList<>();
    long[] delta = new long[order.size() + 2];
    for (Value v : acts) {
      if (!(v.type() instanceof TensorType t)) continue;
      long b = bytes(t);
      if (b < 0) {
        if (nonStatic.size() < 3) nonStatic.add(v);
        continue;
      }
      // Live while its producer writes it through the last node that reads it (parameters from the start).
      int start = v.definingNode() == null ? 0 : pos.get(v.definingNode());
      int end = start;
      for (Value.Use u : v.uses()) end = Math.max(end, pos.getOrDefault(u.user(), start));
      delta[start] += b;
      delta[end + 1] -= b;
    }
    long live = 0, peak = 0;
    for (long d : delta) peak = Math.max(peak, live += d);
    long total = weights.values().stream().mapToLong(Long::longValue).sum();
    return new GraphStats(byOp, total, literals, nonStatic.isEmpty() ? peak : -1, List.copyOf(nonStatic));
  }
}
