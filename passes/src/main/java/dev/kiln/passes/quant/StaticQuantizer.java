package dev.kiln.passes.quant;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantNnOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Program;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.passes.quant.calib.Observer;
import dev.kiln.passes.rewrite.GreedyRewriter;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code quantize=static}: post-training static quantization. Three steps:
 *
 * <ol>
 *   <li>plan ({@link StaticPlan}): which top-level nodes become quantized ops, with a following relu folded into
 *       conv2d/linear/add, and which float values need ranges;
 *   <li>calibrate: run the float graph on the calibration set with the reference interpreter, one observer per
 *       value ({@link Calibrator});
 *   <li>rewrite in program order: each planned node becomes its {@code q.*} op on quantized operands; an operand
 *       made by an earlier quantized op is used as it is, any other is quantized with its observed parameters
 *       ({@code q.quantize_per_tensor}); each result is dequantized for its float users. Between two quantized ops
 *       no dequantize/quantize pair is ever made, and the dequantizes nobody uses are erased;
 *       {@link StaticPatterns} cancels any pair that remains ({@code quantize(dequantize(q))}).
 * </ol>
 *
 * Weights are qint8, symmetric, per output channel (or per tensor); activations quint8 [0, 255] from the observed
 * range; biases stay f32 (the kernels quantize them to {@code x_scale * w_scale}).
 */
final class StaticQuantizer {
  private StaticQuantizer() {}

  static Program run(Program p, QuantConfig cfg) {
    Graph g = p.graph();
    int unfused = FusedInliner.inline(g, n -> StaticPlan.QUANTIZABLE.contains(n.op().name()));
    StaticPlan plan = StaticPlan.make(p, cfg);
    CalibrationSet set = cfg.calibration() != null ? cfg.calibration() : CalibrationSet.load(cfg.calibrationDir());
    Map<Value, Observer.Range> ranges = plan.observed().isEmpty() ? Map.of()
        : Calibrator.ranges(g, p.weights(), List.copyOf(plan.observed()), cfg.observer(), set,
            cfg.progress() == Calibrator.Progress.NONE ? Calibrator.ambient() : cfg.progress());
    Map<Value, ActivationParams> params = new IdentityHashMap<>();
    ranges.forEach((v, r) -> params.put(v, ActivationParams.of(r)));
    Map<String, Long> made = rewrite(p, plan, params, cfg);
    new GreedyRewriter(StaticPatterns.all()).run(p);
    PassRun.figure("quantized", made.values().stream().mapToLong(Long::longValue).sum());
    made.forEach(PassRun::figure);
    PassRun.figure("quantize", QuantizePass.count(g, "q.quantize_per_tensor"));
    PassRun.figure("dequantize", QuantizePass.count(g, "q.dequantize"));
    PassRun.figure("unfused", unfused);
    PassRun.figure("kept", plan.kept());
    return p;
  }

  /** Rewrites the planned nodes; returns how many of each q op were made. */
  private static Map<String, Long> rewrite(Program p, StaticPlan plan, Map<Value, ActivationParams> params, QuantConfig cfg) {
    Map<Value, Value> quantized = new IdentityHashMap<>(); // float value -> the quantized value standing for it
    Map<String, Long> made = new LinkedHashMap<>();
    Set<Node> dead = new LinkedHashSet<>();
    for (StaticPlan.Step s : plan.steps()) {
      Node n = s.node();
      Builder b = Builder.before(n);
      Value out = s.output(); // the float value the q op stands for (the relu's result when fused)
      if (s.op() == QuantOps.LINEAR_DYNAMIC) { // float-output: f32 in (the dequantized input) and out
        List<Value> ops = new java.util.ArrayList<>(List.of(n.operand(0), weight(b, n.operand(1), p, cfg)));
        if (n.numOperands() > 2) ops.add(n.operand(2));
        Value y = b.create(s.op(), ops, Map.of()).result();
        made.merge(s.op().name(), 1L, Long::sum);
        out.replaceAllUsesWith(y);
        if (out.name() != null) y.setName(out.name());
        dead.add(n);
        continue;
      }
      Value q = switch (s.kind()) {
        case "q.relu", "q.max_pool2d", "q.adaptive_avg_pool2d", "nn.flatten", "nn.reshape" ->
            b.create(s.op(), List.of(quantized.get(n.operand(0))), n.attrs()).result();
        default -> {
          List<Value> ops = new java.util.ArrayList<>();
          for (int i = 0; i < s.activations(); i++) ops.add(input(b, n.operand(i), quantized, params));
          if (s.weighted()) {
            ops.add(weight(b, n.operand(1), p, cfg));
            if (n.numOperands() > 2) ops.add(n.operand(2));
          }
          ActivationParams o = params.get(out);
          Map<String, Attr> attrs = new LinkedHashMap<>(n.attrs());
          attrs.remove("alpha");
          attrs.put("scale", Attr.of(o.scale()));
          attrs.put("zero_point", Attr.of(o.zeroPoint()));
          attrs.put("dtype", new Attr.DTypeAttr(o.dtype()));
          yield b.create(s.op(), ops, attrs).result();
        }
      };
      made.merge(s.op().name(), 1L, Long::sum);
      quantized.put(out, q);
      Value dq = Builder.before(n).op(QuantOps.DEQUANTIZE, q);
      quantized.put(dq, q); // later planned nodes now read dq: they take q itself
      out.replaceAllUsesWith(dq);
      // The quantized value takes the float value's name (erased below), so reports find each layer by name.
      if (out.name() != null) q.setName(out.name());
      dead.add(n);
      if (s.relu() != null) dead.add(s.relu());
    }
    // The float nodes replaced (relu first: it uses the layer), then the dequantizes nobody reads.
    List<Node> order = new java.util.ArrayList<>(dead);
    java.util.Collections.reverse(order);
    for (Node n : order) if (n.results().stream().noneMatch(Value::hasUses)) n.erase();
    for (Node n : List.copyOf(p.graph().body().nodes()))
      if (n.op() == QuantOps.DEQUANTIZE && !n.result().hasUses()) n.erase();
    return made;
  }

  /** The quantized form of a float activation: from an earlier quantized op, or quantized here with its observed parameters. */
  private static Value input(Builder b, Value v, Map<Value, Value> quantized, Map<Value, ActivationParams> params) {
    Value q = quantized.get(v);
    if (q != null) return q;
    ActivationParams a = params.get(v);
    q = b.op(QuantOps.QUANTIZE_PER_TENSOR, Builder.attrs("scale", a.scale(), "zero_point", a.zeroPoint(), "dtype", a.dtype()), v);
    quantized.put(v, q);
    return q;
  }

  /** The qint8 constant for a known float weight, placed before the layer (literal weights stay literals). */
  private static Value weight(Builder b, Value w, Program p, QuantConfig cfg) {
    dev.kiln.runtime.Tensor t = dev.kiln.passes.fold.Consts.tensor(w, p.weights());
    WeightQuantizer.Quantized q = WeightQuantizer.quantize(t, cfg.perChannel());
    if (dev.kiln.passes.fold.Consts.literal(w) != null) return b.literal(Attr.ints(q.tensor().toLongArray()), q.type());
    String base = dev.kiln.passes.fold.Consts.weightName(w) + ".qi8", name = base;
    for (int i = 1; p.weights().containsKey(name); i++) name = base + "." + i;
    p.weights().put(name, q.tensor());
    return b.weight(name, q.type());
  }

  /** True when {@code t} is a per-tensor quantized type with exactly these parameters. */
  static boolean sameParams(TensorType t, double scale, long zp, DType d) {
    Quant q = t.quant();
    return q != null && !q.perChannel() && t.dtype() == d && q.scales().get(0) == scale && q.zeroPoints().get(0) == zp;
  }

  static OpDef fusedRelu(OpDef op) {
    if (op == QuantNnOps.CONV2D) return QuantNnOps.CONV2D_RELU;
    if (op == QuantNnOps.LINEAR) return QuantNnOps.LINEAR_RELU;
    if (op == QuantNnOps.ADD) return QuantNnOps.ADD_RELU;
    return null;
  }
}
