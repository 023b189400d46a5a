package dev.kiln.passes.quant;

import dev.kiln.ir.DType;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantNnOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.Program;
import dev.kiln.passes.fold.Consts;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which top-level nodes static quantization rewrites, in program order, and which float values it must observe.
 *
 * <ul>
 *   <li>{@code nn.conv2d} (4-D, contiguous), {@code nn.linear}: known f32 weight; a relu that is the result's only
 *       user is folded in ({@code q.conv2d_relu}, {@code q.linear_relu});
 *   <li>{@code nn.add} with alpha 1 and operands of the result's shape ({@code q.add}, {@code q.add_relu});
 *       {@code nn.matmul} ({@code q.matmul});
 *   <li>{@code nn.relu}, {@code nn.max_pool2d}, {@code nn.adaptive_avg_pool2d}, and {@code nn.flatten} and
 *       {@code nn.reshape} (which stay themselves: they take quantized tensors), only on a value a quantized op made
 *       (they keep its parameters; quantizing a float value just for them would add work).
 * </ul>
 *
 * With {@code float-output}, a linear layer whose result only the return reads (a model output, such as a
 * classifier's logits), directly or through a relu that stays float, becomes {@code q.linear_dynamic} on its float
 * (dequantized) input: int8 weights and an int8 activation quantized per call, an f32 result, so the output is not
 * rounded to 256 levels. Layers named in
 * {@code keep} ({@link Layers#name}) stay float.
 */
record StaticPlan(List<Step> steps, Set<Value> observed, int kept) {
  static final Set<String> QUANTIZABLE = Set.of("nn.conv2d", "nn.linear", "nn.add", "nn.matmul", "nn.relu", "nn.max_pool2d",
      "nn.adaptive_avg_pool2d", "nn.flatten", "nn.reshape");

  /**
   * One rewrite: {@code node} becomes {@code op}; its first {@code activations} operands are quantized activations;
   * a weighted layer also takes a qint8 weight and its f32 bias; {@code relu} (nullable) is folded in;
   * {@code output} is the float value the quantized result stands for.
   */
  record Step(Node node, OpDef op, int activations, boolean weighted, Node relu, Value output) {
    String kind() { return op.name(); }
  }

  static StaticPlan make(Program p, QuantConfig cfg) {
    List<Step> steps = new ArrayList<>();
    Set<Value> observed = new LinkedHashSet<>();
    Set<Value> quantized = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    Set<Node> consumed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    int kept = 0;
    Node ret = p.graph().returnNode();
    for (Node n : p.graph().body().nodes()) {
      if (consumed.contains(n) || !QUANTIZABLE.contains(n.op().name())) continue;
      OpDef op = quantizedOp(n, p);
      if (op == null) continue;
      boolean layer = op == QuantNnOps.CONV2D || op == QuantNnOps.LINEAR || op == QuantNnOps.ADD || op == QuantNnOps.MATMUL;
      if (layer && cfg.keep().contains(Layers.name(n))) {
        kept++;
        continue;
      }
      if (!layer) {
        if (!quantized.contains(n.operand(0))) continue;
        steps.add(new Step(n, op, 1, false, null, n.result()));
        quantized.add(n.result());
        continue;
      }
      if (op == QuantNnOps.LINEAR && cfg.floatOutput() && (onlyReturned(n, ret) || soleRelu(n) != null && onlyReturned(soleRelu(n), ret))) {
        steps.add(new Step(n, QuantOps.LINEAR_DYNAMIC, 0, true, null, n.result()));
        continue;
      }
      Node relu = soleRelu(n);
      OpDef fused = relu == null ? null : StaticQuantizer.fusedRelu(op);
      if (fused == null) relu = null;
      else consumed.add(relu);
      int acts = op == QuantNnOps.ADD || op == QuantNnOps.MATMUL ? 2 : 1;
      Value out = relu == null ? n.result() : relu.result();
      steps.add(new Step(n, fused == null ? op : fused, acts, acts == 1, relu, out));
      for (int i = 0; i < acts; i++) if (!quantized.contains(n.operand(i))) observed.add(n.operand(i));
      observed.add(out);
      quantized.add(out);
    }
    return new StaticPlan(steps, observed, kept);
  }

  private static boolean f32(Value v) { return DynamicPatterns.f32(v) && v.tensorType().layout() == Layout.CONTIGUOUS; }

  /** The q op for {@code n}, or null when its operands do not fit. */
  private static OpDef quantizedOp(Node n, Program p) {
    if (!f32(n.operand(0)) || !f32(n.result())) return null;
    return switch (n.op().name()) {
      case "nn.conv2d", "nn.linear" -> {
        int rank = n.op().name().equals("nn.conv2d") ? 4 : 2;
        Value w = n.operand(1);
        if (!f32(w) || w.tensorType().rank() != rank || Consts.tensor(w, p.weights()) == null) yield null;
        if (n.numOperands() > 2 && !f32(n.operand(2))) yield null;
        yield rank == 4 ? QuantNnOps.CONV2D : QuantNnOps.LINEAR;
      }
      case "nn.add" -> {
        TensorType r = n.result().tensorType();
        boolean ok = n.attrFloat("alpha") == 1 && f32(n.operand(1)) && n.operand(0).tensorType().shape().equals(r.shape())
            && n.operand(1).tensorType().shape().equals(r.shape()) && r.dtype() == DType.F32;
        yield ok ? QuantNnOps.ADD : null;
      }
      case "nn.matmul" -> f32(n.operand(1)) ? QuantNnOps.MATMUL : null;
      case "nn.relu" -> QuantNnOps.RELU;
      case "nn.max_pool2d" -> QuantNnOps.MAX_POOL2D;
      case "nn.adaptive_avg_pool2d" -> QuantNnOps.ADAPTIVE_AVG_POOL2D;
      case "nn.flatten", "nn.reshape" -> n.op();
      default -> null;
    };
  }

  /** True when every use of {@code n}'s result is the graph's return (a model output). */
  private static boolean onlyReturned(Node n, Node ret) {
    Value r = n.result();
    return r.hasUses() && r.uses().stream().allMatch(u -> u.user() == ret);
  }

  /** The nn.relu that is the only user of {@code n}'s result, in the same block; else null. */
  private static Node soleRelu(Node n) {
    if (n.result().uses().size() != 1) return null;
    Node u = n.result().uses().get(0).user();
    return u.op().name().equals("nn.relu") && u.block() == n.block() ? u : null;
  }
}
