package dev.kiln.passes.fuse;

import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Recognizes scaled dot-product attention written out op by op, as PyTorch's BetterTransformer fast path does:
 *
 * <pre>
 *   matmul(softmax(mask(scale(matmul(q, transpose(k, -2, -1)))), dim=-1), v)   -> fused {kind="attention"}
 *     scale: mul by / div by a scalar constant (optional), on the scores or on q before the first matmul
 *     mask:  add(scores, mask) or masked_fill(scores, mask, value) (optional)
 *     an eval-mode dropout between softmax and the last matmul is allowed
 * </pre>
 *
 * Every intermediate must have the next step as its only use; the transpose joins the group only when the scores
 * matmul is its only user (otherwise the transposed keys become an input). The block keeps the original ops, so the
 * group means exactly what they meant; lowering may pick a fused attention kernel for this kind.
 */
final class AttentionPattern {
  private AttentionPattern() {}

  /** @return the fused node made from the attention ending at {@code root}, or null when {@code root} does not end one */
  static Node match(Node root) {
    if (!isMatmul(root)) return null;
    List<Node> members = new ArrayList<>(List.of(root));
    Node p = singleUseDef(root.operand(0), root);
    if (p != null && p.op() == ElementwiseOps.DROPOUT) {
      members.add(p);
      p = singleUseDef(p.operand(0), p);
    }
    if (p == null || p.op() != NnOps.SOFTMAX || !lastDim(p)) return null;
    members.add(p);
    Node s = singleUseDef(p.operand(0), p);
    if (s != null && isMask(s)) {
      members.add(s);
      Node left = singleUseDef(s.operand(0), s);
      // add(mask, scores) is as good as add(scores, mask): take the side the scores come from.
      s = left == null && s.op() == ElementwiseOps.ADD ? singleUseDef(s.operand(1), s) : left;
    }
    if (s != null && isScale(s)) {
      members.add(s);
      s = singleUseDef(chainOperand(s), s);
    }
    if (s == null || !isMatmul(s)) return null;
    members.add(s);
    // PyTorch's multi_head_attention_forward scales q before the product: matmul(mul(q, c), k^T).
    Node qs = singleUseDef(s.operand(0), s);
    if (qs != null && isScale(qs)) members.add(qs);
    Value kt = s.operand(1);
    Node t = kt.definingNode();
    if (t == null || !isKeyTranspose(t)) return null;
    if (kt.uses().size() == 1 && t.block() == root.block()) members.add(t);
    return FusionGroup.collapse(members, FusedOps.ATTENTION);
  }

  private static boolean isMatmul(Node n) { return n.op() == LinalgOps.MATMUL || n.op() == LinalgOps.BMM; }

  /** The node defining {@code v} when it is in {@code user}'s block and {@code user} is its only use; else null. */
  private static Node singleUseDef(Value v, Node user) {
    Node d = v.definingNode();
    if (d == null || d.block() != user.block() || d.results().size() != 1 || v.uses().size() != 1) return null;
    return d;
  }

  private static boolean lastDim(Node softmax) {
    long d = softmax.attrInt("dim");
    int rank = softmax.result().tensorType().rank();
    return d == -1 || d == rank - 1;
  }

  /** add(scores, mask) with alpha 1, or masked_fill(scores, mask, value): the scores are operand 0. */
  private static boolean isMask(Node n) {
    if (n.op() == ElementwiseOps.MASKED_FILL) return true;
    return n.op() == ElementwiseOps.ADD && n.attrFloat("alpha") == 1.0;
  }

  /** mul(scores, c), mul(c, scores) or div(scores, c) with c a scalar: a number or a one-element tensor. */
  private static boolean isScale(Node n) {
    if (n.op() == ElementwiseOps.DIV) return n.attrIsNone("rounding_mode") && isScalar(n.operand(1));
    if (n.op() != ElementwiseOps.MUL) return false;
    return isScalar(n.operand(1)) || isScalar(n.operand(0));
  }

  private static Value chainOperand(Node scale) {
    return scale.op() == ElementwiseOps.MUL && isScalar(scale.operand(1)) ? scale.operand(0)
        : scale.op() == ElementwiseOps.MUL ? scale.operand(1) : scale.operand(0);
  }

  private static boolean isScalar(Value v) {
    if (v.type() == PrimType.FLOAT || v.type() == PrimType.INT) return true;
    return v.type() instanceof TensorType t && t.shape().isStatic() && t.shape().numel() == 1;
  }

  /** transpose(k, -2, -1) (either order, negative or not), or a permute swapping exactly the last two dims. */
  private static boolean isKeyTranspose(Node t) {
    if (!(t.operand(0).type() instanceof TensorType k) || !k.shape().isRanked()) return false;
    int r = k.rank();
    OpDef op = t.op();
    if (op == ShapeOps.TRANSPOSE) {
      long a = norm(t.attrInt("dim0"), r), b = norm(t.attrInt("dim1"), r);
      return Math.min(a, b) == r - 2 && Math.max(a, b) == r - 1;
    }
    if (op == ShapeOps.PERMUTE) {
      long[] p = t.attrInts("dims");
      if (p.length != r) return false;
      for (int i = 0; i < r - 2; i++) if (norm(p[i], r) != i) return false;
      return norm(p[r - 2], r) == r - 1 && norm(p[r - 1], r) == r - 2;
    }
    return false;
  }

  private static long norm(long d, int r) { return d < 0 ? d + r : d; }
}
