package dev.kiln.passes.layout;

import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which ops the channels-last rewrite touches and which of their operands must then be channels-last.
 *
 * <p>Anchors: 2-D convolutions and fused groups holding one ({@code conv2d+epilogue}): their data input is wanted
 * in NHWC and their output is produced in NHWC. Layout-agnostic ops compute the same logical values in either
 * memory order and follow their data operands: elementwise ops (their 4-D operands of the result's shape),
 * batch_norm and the 2-D poolings (operand 0), concatenation of 4-D tensors (all operands; SqueezeNet's fire
 * modules concatenate channels), and fused elementwise groups. Every other op reads its operands
 * contiguous.
 */
final class LayoutRules {
  private LayoutRules() {}

  private static final Set<OpDef> AGNOSTIC_FIRST_OPERAND = Set.of(NnOps.BATCH_NORM, NnOps.MAX_POOL2D, NnOps.AVG_POOL2D,
      NnOps.ADAPTIVE_AVG_POOL2D);

  static boolean isAnchor(Node n) {
    if (n.op() == NnOps.CONV2D) return is4d(n.operand(0));
    return n.op() == FusedOps.FUSED && n.attrStr("kind").equals("conv2d+epilogue") && allResults4d(n);
  }

  static boolean isAgnostic(Node n) {
    if (!allResults4d(n)) return false;
    if (n.op() == ShapeOps.CAT) return n.operands().stream().allMatch(LayoutRules::is4d);
    if (AGNOSTIC_FIRST_OPERAND.contains(n.op())) return is4d(n.operand(0));
    if (n.op() == FusedOps.FUSED) return n.attrStr("kind").equals(FusedOps.ELEMENTWISE);
    return n.op().hasTrait(OpDef.Trait.ELEMENTWISE) && n.blocks().isEmpty();
  }

  /** Operand positions that an anchor or agnostic node wants in NHWC. */
  static List<Integer> dataOperands(Node n) {
    List<Integer> out = new ArrayList<>();
    if (n.op() == NnOps.CONV2D || AGNOSTIC_FIRST_OPERAND.contains(n.op())) {
      out.add(0);
      return out;
    }
    if (n.op() == ShapeOps.CAT) {
      for (int i = 0; i < n.numOperands(); i++) out.add(i);
      return out;
    }
    TensorType res = (TensorType) n.result(0).type();
    for (int i = 0; i < n.numOperands(); i++) {
      Value v = n.operand(i);
      boolean sameShape = v.type() instanceof TensorType t && t.shape().isRanked() && t.rank() == 4 && t.shape().equals(res.shape());
      if (sameShape || n.op() == FusedOps.FUSED && feedsConvInput(n.block(0).arg(i))) out.add(i);
    }
    return out;
  }

  /** True when a fused block argument is the data input of a convolution in the block. */
  private static boolean feedsConvInput(Value arg) {
    for (Value.Use u : arg.uses()) if (u.user().op() == NnOps.CONV2D && u.index() == 0) return true;
    return false;
  }

  static boolean is4d(Value v) { return v.type() instanceof TensorType t && t.shape().isRanked() && t.rank() == 4; }

  static boolean isNhwc(Value v) { return v.type() instanceof TensorType t && t.layout() == Layout.NHWC; }

  private static boolean allResults4d(Node n) {
    if (n.results().isEmpty()) return false;
    for (Value r : n.results()) if (!is4d(r)) return false;
    return true;
  }
}
