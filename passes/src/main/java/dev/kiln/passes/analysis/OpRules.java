package dev.kiln.passes.analysis;

import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.function.Predicate;

/**
 * The per-op rules of {@link BatchSeparable}: whether one node, with at least one batched operand, acts on each
 * sample of dim 0 on its own. The caller checks that every result keeps the batch in dim 0.
 */
final class OpRules {
  private OpRules() {}

  /** Null when {@code n} is per-sample, else why not. */
  static String check(Node n, Predicate<Value> batched) {
    try {
      return rule(n, batched);
    } catch (IrException | IllegalArgumentException | ClassCastException e) {
      return "cannot read its attributes (" + e.getMessage() + ")";
    }
  }

  private static String rule(Node n, Predicate<Value> batched) {
    if (n.op().hasTrait(OpDef.Trait.ELEMENTWISE)) return elementwise(n, batched);
    Value x = n.numOperands() > 0 ? n.operand(0) : null;
    int rank = x != null && x.type() instanceof TensorType t && t.shape().isRanked() ? t.rank() : -1;
    return switch (n.op().name()) {
      case "nn.conv2d", "nn.max_pool2d", "nn.avg_pool2d", "nn.adaptive_avg_pool2d" ->
          rank != 4 ? "input is not [N,C,H,W] (a 3-D input's dim 0 is channels)" : onlyFirstBatched(n, batched);
      case "nn.batch_norm", "nn.linear" -> rank < 2 ? "input has no dim past the batch" : onlyFirstBatched(n, batched);
      case "nn.layer_norm" -> n.attrInts("normalized_shape").length >= rank ? "normalizes over dim 0" : onlyFirstBatched(n, batched);
      case "nn.softmax", "nn.log_softmax" -> notDim0(n.attrInt("dim"), rank, "normalizes over dim 0");
      case "nn.mean", "nn.sum", "nn.amax" -> reduce(n.attrInts("dims"), rank);
      case "nn.argmax" -> n.attrIsNone("dim") ? "reduces over all dims" : notDim0(n.attrInt("dim"), rank, "reduces over dim 0");
      case "nn.flatten" -> norm(n.attrInt("start_dim"), rank) == 0 ? "merges dim 0" : null;
      case "nn.reshape" -> n.numOperands() > 1 ? "takes its shape as a value" : null; // dim 0 kept: checked on the result
      case "nn.permute" -> norm(n.attrInts("dims")[0], rank) != 0 ? "moves dim 0" : null;
      case "nn.transpose" -> norm(n.attrInt("dim0"), rank) == 0 || norm(n.attrInt("dim1"), rank) == 0 ? "moves dim 0" : null;
      case "nn.contiguous", "nn.to_layout" -> null;
      case "nn.cat", "nn.chunk", "nn.split", "nn.slice", "nn.select", "nn.index_select" -> {
        if (n.op().name().equals("nn.cat")) for (Value v : n.operands()) if (!batched.test(v)) yield "joins an unbatched %" + v.displayName();
        if (n.op().name().equals("nn.index_select") && batched.test(n.operand(1))) yield "indices depend on the batch";
        yield notDim0(n.attrInt("dim"), rank, "works along dim 0");
      }
      case "nn.stack" -> {
        for (Value v : n.operands()) if (!batched.test(v)) yield "stacks an unbatched %" + v.displayName();
        yield notDim0(n.attrInt("dim"), rank + 1, "stacks along dim 0");
      }
      case "nn.unsqueeze" -> notDim0(n.attrInt("dim"), rank + 1, "inserts a dim before the batch");
      case "nn.squeeze" -> n.attrIsNone("dim") ? "squeezes every dim of 1 (the batch too, at batch 1)" : notDim0(n.attrInt("dim"), rank, "squeezes dim 0");
      case "nn.addmm" -> {
        if (batched.test(n.operand(0)) || !batched.test(n.operand(1)) || batched.test(n.operand(2))) yield "only the middle operand may be batched";
        yield n.operand(0).type() instanceof TensorType b && b.shape().isRanked() && b.rank() == 2 && !b.shape().dim(0).is(1)
            ? "its bias has rows" : null;
      }
      case "nn.mm" -> onlyFirstBatched(n, batched);
      case "nn.matmul" -> matmul(n, batched);
      case "nn.bmm" -> batched.test(n.operand(0)) && batched.test(n.operand(1)) ? null : "only one operand is batched";
      case "nn.embedding" -> batched.test(n.operand(0)) ? "its table depends on the batch" : null;
      default -> "no per-sample rule for " + n.op().name();
    };
  }

  /** Broadcasting: batched operands have the result's rank; unbatched tensors are shorter or have dim 0 of 1. */
  private static String elementwise(Node n, Predicate<Value> batched) {
    if (!(n.result(0).type() instanceof TensorType out) || !out.shape().isRanked()) return "result is not a ranked tensor";
    for (Value v : n.operands()) {
      if (!(v.type() instanceof TensorType t)) continue; // a scalar: the same for every sample
      if (!t.shape().isRanked()) return "%" + v.displayName() + " is unranked";
      if (batched.test(v) && t.rank() != out.rank()) return "broadcasts the batched %" + v.displayName() + " to a higher rank";
      if (!batched.test(v) && t.rank() == out.rank() && !t.shape().dim(0).is(1))
        return "the unbatched %" + v.displayName() + " " + t.text() + " has its own dim 0";
    }
    return null;
  }

  private static String onlyFirstBatched(Node n, Predicate<Value> batched) {
    if (!batched.test(n.operand(0))) return "its batched operand is not the input";
    for (int i = 1; i < n.numOperands(); i++) if (batched.test(n.operand(i))) return "operand " + i + " depends on the batch";
    return null;
  }

  /** matmul: a batched [N,...,K] with an unbatched matrix, or two batched operands of the same rank >= 3. */
  private static String matmul(Node n, Predicate<Value> batched) {
    if (!(n.operand(0).type() instanceof TensorType a) || !(n.operand(1).type() instanceof TensorType b)
        || !a.shape().isRanked() || !b.shape().isRanked()) return "unranked operand";
    boolean ba = batched.test(n.operand(0)), bb = batched.test(n.operand(1));
    if (ba && bb) return a.rank() == b.rank() && a.rank() >= 3 ? null : "batched operands of ranks " + a.rank() + " and " + b.rank();
    if (ba) return a.rank() >= 2 && b.rank() <= 2 ? null : "the unbatched operand has batch dims of its own";
    return "its right operand is batched";
  }

  private static String reduce(long[] dims, int rank) {
    if (dims.length == 0) return "reduces over all dims";
    for (long d : dims) if (norm(d, rank) == 0) return "reduces over dim 0";
    return null;
  }

  private static String notDim0(long d, int rank, String why) { return norm(d, rank) == 0 ? why : null; }

  private static int norm(long d, int rank) {
    int r = Math.max(rank, 1);
    if (d < -r || d >= r) throw new IllegalArgumentException("dim " + d + " is out of range for rank " + rank);
    return (int) (d < 0 ? d + r : d);
  }
}
