package dev.kiln.passes.quant;

import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.rewrite.RewritePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Clean-up after static quantization: quantize/dequantize pairs between quantized values cancel. */
final class StaticPatterns {
  private StaticPatterns() {}

  // quantize_per_tensor(dequantize(q)) {s, z, d} -> q                      when q already has (s, z, d)
  // quantize_per_tensor(dequantize(q)) {s, z, d} -> requantize(q) {s, z, d} otherwise (q per tensor)
  static final RewritePattern QUANTIZE_DEQUANTIZE = RewritePattern.of("quantize-dequantize", Set.of("q.quantize_per_tensor"), (n, rw) -> {
    Node dq = n.operand(0).definingNode();
    if (dq == null || dq.op() != QuantOps.DEQUANTIZE) return false;
    Value q = dq.operand(0);
    TensorType qt = q.tensorType(), want = n.result().tensorType();
    if (qt.quant() == null || qt.quant().perChannel()) return false;
    if (StaticQuantizer.sameParams(qt, n.attrFloat("scale"), n.attrInt("zero_point"), n.attrDType("dtype")) && qt.equals(want)) {
      rw.replace(n, q);
      return true;
    }
    Value r = rw.createAs(QuantOps.REQUANTIZE, List.of(q), n.attrs(), want);
    if (r == null) return false;
    rw.replace(n, r);
    return true;
  });

  static List<RewritePattern> all() { return new ArrayList<>(List.of(QUANTIZE_DEQUANTIZE)); }
}
