package dev.kiln.passes.quant;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.rewrite.RewritePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic quantization rewrites (torch.quantization.quantize_dynamic): weights become qint8 constants at compile
 * time, activations are quantized per call inside {@code q.linear_dynamic}. A layer is rewritten only when its
 * weight is a known constant and its name ({@link Layers#name}) is not in {@code keep}.
 */
final class DynamicPatterns {
  private DynamicPatterns() {}

  static boolean f32(Value v) { return v.type() instanceof TensorType t && t.dtype() == DType.F32 && t.quant() == null; }

  // linear(x, W, b) -> q.linear_dynamic(x, quantize_qi8(W), b)    W known f32 [out, in], x and b f32
  static RewritePattern linear(QuantConfig cfg) {
    return RewritePattern.of("dynamic-linear", Set.of("nn.linear"), (n, rw) -> {
      if (cfg.keep().contains(Layers.name(n)) || !f32(n.operand(0)) || !f32(n.operand(1)) || n.operand(1).tensorType().rank() != 2) return false;
      if (n.numOperands() > 2 && !f32(n.operand(2))) return false;
      Value wq = WeightQuantizer.quantizedConst(n.operand(1), cfg.perChannel(), rw);
      if (wq == null) return false;
      List<Value> ops = new ArrayList<>(List.of(n.operand(0), wq));
      if (n.numOperands() > 2) ops.add(n.operand(2));
      Value y = rw.createAs(QuantOps.LINEAR_DYNAMIC, ops, Map.of(), n.result().type());
      if (y == null) return false;
      rw.replace(n, y);
      return true;
    });
  }

  static List<RewritePattern> all(QuantConfig cfg) {
    return new ArrayList<>(List.of(linear(cfg), LstmUnroll.pattern(cfg)));
  }
}
