package dev.kiln.passes.fuse;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassRun;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Groups ops that lowering should emit as one kernel into {@code fused} nodes, in three rounds, each over every
 * block (the bodies of {@code if} and {@code loop} too, never across block boundaries):
 *
 * <ol>
 *   <li>attention: matmul, scale, mask, softmax, matmul ({@link AttentionPattern});
 *   <li>epilogues: a conv2d/linear/matmul with the elementwise chain after it ({@link EpiloguePattern});
 *   <li>elementwise: the remaining trees of ELEMENTWISE ops joined by single-use values, two ops or more.
 * </ol>
 *
 * No value with a use outside its group is fused over unless it is the group's output, so nothing is computed
 * twice. Existing fused nodes are left alone, so running the pass again changes nothing. Stateless. Reports the
 * groups it made by kind as figures (see {@link #run}).
 */
public final class FusePass implements Pass {
  @Override public String name() { return "fuse"; }

  @Override public String summary() { return "group elementwise chains, conv/linear/matmul epilogues and attention into fused nodes"; }

  /**
   * Figures ({@link PassRun#figure}): {@code groups}, the fused nodes this run made, then one figure per kind
   * ({@code conv2d+epilogue}, {@code elementwise}, {@code attention} ...) in first-seen order.
   */
  @Override public Graph run(Graph g) {
    Map<String, Long> before = kinds(g);
    fuse(g.body());
    Map<String, Long> made = new LinkedHashMap<>();
    kinds(g).forEach((kind, n) -> {
      long d = n - before.getOrDefault(kind, 0L);
      if (d > 0) made.put(kind, d);
    });
    PassRun.figure("groups", made.values().stream().mapToLong(Long::longValue).sum());
    made.forEach(PassRun::figure);
    return g;
  }

  /** Fused nodes of {@code g} (nested blocks included) counted by kind, in program order of first appearance. */
  static Map<String, Long> kinds(Graph g) {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Node n : g.allNodes()) if (n.op() == FusedOps.FUSED) m.merge(n.hasAttr("kind") ? n.attrStr("kind") : "?", 1L, Long::sum);
    return m;
  }

  /** Fuses inside {@code b} and the if/loop blocks nested in it. */
  static void fuse(Block b) {
    for (Node n : List.copyOf(b.nodes()))
      if (n.op() != FusedOps.FUSED) for (Block inner : n.blocks()) fuse(inner);
    // Attention first: its scale step would otherwise become the scores matmul's epilogue.
    for (Node n : List.copyOf(b.nodes())) if (n.block() == b) AttentionPattern.match(n);
    for (Node n : List.copyOf(b.nodes())) if (n.block() == b) EpiloguePattern.match(n);
    fuseElementwise(b);
  }

  /**
   * Walks the block backwards; an elementwise node whose only use is another elementwise node of the block is
   * left for that user's group; any other starts a group and pulls in, through operands, every elementwise producer
   * whose only use is in the group.
   */
  private static void fuseElementwise(Block b) {
    Set<Node> taken = Collections.newSetFromMap(new LinkedHashMap<>());
    List<List<Node>> groups = new ArrayList<>();
    List<Node> nodes = b.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      if (taken.contains(n) || !fusible(n, b)) continue;
      Node user = soleUser(n);
      if (user != null && fusible(user, b)) continue;
      List<Node> group = new ArrayList<>();
      collect(n, b, group, taken);
      if (group.size() >= 2) groups.add(group);
    }
    for (List<Node> g : groups) FusionGroup.collapse(g, FusedOps.ELEMENTWISE);
  }

  private static void collect(Node n, Block b, List<Node> group, Set<Node> taken) {
    group.add(n);
    taken.add(n);
    for (Value v : n.operands()) {
      Node d = v.definingNode();
      if (d != null && !taken.contains(d) && fusible(d, b) && soleUser(d) == n) collect(d, b, group, taken);
    }
  }

  /** An elementwise op of block {@code b} with one tensor result. */
  private static boolean fusible(Node n, Block b) {
    return n.block() == b && n.op().hasTrait(OpDef.Trait.ELEMENTWISE) && n.results().size() == 1
        && n.result().type() instanceof TensorType;
  }

  /** The node using {@code n}'s result, when it has exactly one use; else null. */
  private static Node soleUser(Node n) {
    List<Value.Use> uses = n.result().uses();
    return uses.size() == 1 ? uses.get(0).user() : null;
  }
}
