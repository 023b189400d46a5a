package dev.kiln.passes.layout;

import dev.kiln.ir.Block;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import java.util.List;

/**
 * Removes layout conversions that change nothing:
 *
 * <pre>
 *   to_layout(x) {layout=L}                    -> x   when x is already stored in L
 *   to_layout(to_layout(x) {layout=M}) {layout=L} -> x   when x is stored in L (e.g. nhwc of contiguous of nhwc)
 * </pre>
 *
 * and then conversions left without uses. Both rewrites keep values (a conversion never changes them).
 */
final class LayoutCancel {
  private LayoutCancel() {}

  /** @return how many conversions were removed from {@code b} and the blocks nested in it */
  static int run(Block b) {
    int removed = 0;
    for (Node n : List.copyOf(b.nodes())) {
      if (n.block() != b) continue;
      for (Block inner : n.blocks()) removed += run(inner);
      if (n.op() != FusedOps.TO_LAYOUT) continue;
      Value src = n.operand(0), out = n.result();
      Node def = src.definingNode();
      if (def != null && def.op() == FusedOps.TO_LAYOUT && sameLayout(def.operand(0), out)) src = def.operand(0);
      if (sameLayout(src, out)) {
        out.replaceAllUsesWith(src);
        n.erase();
        removed++;
        if (def != null && def.op() == FusedOps.TO_LAYOUT && def.block() != null && !def.result().hasUses()) {
          def.erase();
          removed++;
        }
      }
    }
    for (Node n : List.copyOf(b.nodes()))
      if (n.block() == b && n.op() == FusedOps.TO_LAYOUT && !n.result().hasUses()) {
        n.erase();
        removed++;
      }
    return removed;
  }

  private static boolean sameLayout(Value a, Value b) {
    return a.type() instanceof TensorType x && b.type() instanceof TensorType y && x.layout() == y.layout();
  }
}
