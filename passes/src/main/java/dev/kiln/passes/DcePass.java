package dev.kiln.passes;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef.Trait;
import dev.kiln.ir.Value;
import java.util.List;

/**
 * Dead code elimination: erases nodes none of whose results are used and which have no effect, inside nested
 * {@code if}/{@code loop} blocks too.
 *
 * <p>A node is dead when no result has a use and either its op is {@code PURE}, or it is control flow
 * ({@code if}, {@code loop}) whose blocks hold only effect-free nodes. Terminators and {@code SIDE_EFFECT} ops are
 * never removed, and neither is an op with neither trait (unknown effects are kept). Graph parameters are part of
 * the signature and stay.
 *
 * <p>One backward sweep suffices: in SSA with structured control flow a value is used only by nodes after its
 * definition or nested inside them, so when a node is reached every user it could have had was already visited
 * (and erased if dead). Nested blocks are swept before their holder is judged, so an {@code if} emptied of dead
 * work becomes removable in the same sweep.
 */
public final class DcePass implements Pass {
  @Override public String name() { return "dce"; }

  @Override public String summary() { return "remove unused effect-free nodes, inside if/loop blocks too"; }

  @Override public Graph run(Graph g) {
    sweep(g.body());
    return g;
  }

  private static void sweep(Block b) {
    List<Node> nodes = b.nodes();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      Node n = nodes.get(i);
      for (Block inner : n.blocks()) sweep(inner);
      if (isDead(n)) n.erase();
    }
  }

  private static boolean isDead(Node n) {
    for (Value r : n.results()) if (r.hasUses()) return false;
    return isEffectFree(n);
  }

  /** True if running {@code n} can be skipped without anyone noticing, apart from its results. */
  private static boolean isEffectFree(Node n) {
    if (n.op().hasTrait(Trait.SIDE_EFFECT)) return false;
    if (n.op().hasTrait(Trait.PURE)) return true;
    if (!n.op().hasTrait(Trait.CONTROL_FLOW)) return false;
    // Control flow is as effect-free as what it runs; its yields only pass values out.
    for (Block inner : n.blocks())
      for (Node m : inner.nodes())
        if (!m.op().hasTrait(Trait.TERMINATOR) && !isEffectFree(m)) return false;
    return true;
  }
}
