package dev.kiln.passes.fuse;

import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Gives a convolution or matrix product its epilogue: the chain of elementwise ops after it that map its output
 * element by element (bias add, activation, residual add, scaling), as in cuDNN/oneDNN post-ops.
 *
 * <pre>
 *   e_k(...e_1(anchor(x, w), b_1)..., b_k) -> fused {kind="&lt;anchor&gt;+epilogue"}
 *     when each step's result is the next step's only use, each e_i is ELEMENTWISE, and each keeps the anchor's
 *     output shape and dtype (the other operands broadcast into it: bias [C,1,1], residual [N,C,H,W], scalars)
 * </pre>
 *
 * The anchor stays first in the block, so lowering finds it at block node 0 (after any copied literal).
 */
final class EpiloguePattern {
  private EpiloguePattern() {}

  /** Anchor ops and the name they give the fused kind. */
  static final Map<OpDef, String> ANCHORS = Map.of(NnOps.CONV2D, "conv2d", LinalgOps.LINEAR, "linear",
      LinalgOps.MATMUL, "matmul", LinalgOps.MM, "matmul", LinalgOps.BMM, "matmul", LinalgOps.ADDMM, "linear");

  /** @return the fused node for {@code anchor} and its epilogue, or null when no op follows it that fits */
  static Node match(Node anchor) {
    String name = ANCHORS.get(anchor.op());
    if (name == null || anchor.results().size() != 1 || !(anchor.result().type() instanceof TensorType out)) return null;
    List<Node> members = new ArrayList<>(List.of(anchor));
    Value cur = anchor.result();
    while (cur.uses().size() == 1) {
      Node user = cur.uses().get(0).user();
      if (user.block() != anchor.block() || !fitsEpilogue(user, out)) break;
      members.add(user);
      cur = user.result();
    }
    return members.size() < 2 ? null : FusionGroup.collapse(members, name + "+epilogue");
  }

  private static boolean fitsEpilogue(Node n, TensorType out) {
    if (!n.op().hasTrait(OpDef.Trait.ELEMENTWISE) || n.results().size() != 1 || !n.blocks().isEmpty()) return false;
    return n.result().type() instanceof TensorType t && t.dtype() == out.dtype() && t.shape().equals(out.shape());
  }
}
