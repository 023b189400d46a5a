package dev.kiln.passes.quant;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.rewrite.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A dynamically quantized LSTM, as PyTorch computes it (quantized_lstm with QuantizedCellParamsDynamic on CPU): per
 * layer, the input projection of the whole sequence at once, then one cell per time step:
 *
 * <pre>
 *   pre = q.linear_dynamic(x[T,N,I], W_ih, b_ih)                       one activation scale for the sequence
 *   gates_t = q.linear_dynamic(h, W_hh, b_hh) + pre[t]
 *   i, f, g, o = chunk(gates_t, 4);  c = sigmoid(f) * c + sigmoid(i) * tanh(g);  h = sigmoid(o) * tanh(c)
 * </pre>
 *
 * The time loop is unrolled, so the sequence length must be static (at most {@link #MAX_STEPS}); bidirectional
 * LSTMs stay in float.
 */
final class LstmUnroll {
  private LstmUnroll() {}

  static final int MAX_STEPS = 256;

  static RewritePattern pattern(QuantConfig cfg) {
    return RewritePattern.of("dynamic-lstm", Set.of("nn.lstm"), (n, rw) -> rewrite(n, rw, cfg));
  }

  private static boolean rewrite(Node n, Rewriter rw, QuantConfig cfg) {
    if (cfg.keep().contains(Layers.name(n)) || n.attrBool("bidirectional")) return false;
    TensorType x = n.operand(0).tensorType();
    if (!DynamicPatterns.f32(n.operand(0)) || !x.shape().isStatic() || x.rank() != 3) return false;
    boolean bf = n.attrBool("batch_first"), biases = n.attrBool("has_biases");
    long steps = x.shape().sizes()[bf ? 1 : 0];
    if (steps < 1 || steps > MAX_STEPS) return false;
    int layers = (int) n.attrInt("num_layers"), per = biases ? 4 : 2;
    // Quantize every weight first: nothing is created unless all of them are known.
    for (int l = 0; l < layers; l++)
      for (int k = 0; k < 2; k++) if (dev.kiln.passes.fold.Consts.tensor(n.operand(3 + l * per + k), rw.weights()) == null) return false;
    Value seq = bf ? op(rw, ShapeOps.TRANSPOSE, Builder.attrs("dim0", 0L, "dim1", 1L), n.operand(0)) : n.operand(0);
    List<Value> hn = new ArrayList<>(), cn = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      int base = 3 + l * per;
      Value wih = WeightQuantizer.quantizedConst(n.operand(base), cfg.perChannel(), rw);
      Value whh = WeightQuantizer.quantizedConst(n.operand(base + 1), cfg.perChannel(), rw);
      Value pre = linear(rw, seq, wih, biases ? n.operand(base + 2) : null);
      Value h = op(rw, ShapeOps.SELECT, Builder.attrs("dim", 0L, "index", (long) l), n.operand(1));
      Value c = op(rw, ShapeOps.SELECT, Builder.attrs("dim", 0L, "index", (long) l), n.operand(2));
      List<Value> outs = new ArrayList<>();
      for (long t = 0; t < steps; t++) {
        Value gates = op(rw, ElementwiseOps.ADD, Map.of(), linear(rw, h, whh, biases ? n.operand(base + 3) : null),
            op(rw, ShapeOps.SELECT, Builder.attrs("dim", 0L, "index", t), pre));
        List<Value> g = rw.create(ShapeOps.CHUNK, List.of(gates), Builder.attrs("chunks", 4L, "dim", 1L)).results();
        Value i = op(rw, ElementwiseOps.SIGMOID, Map.of(), g.get(0)), f = op(rw, ElementwiseOps.SIGMOID, Map.of(), g.get(1));
        Value cell = op(rw, ElementwiseOps.TANH, Map.of(), g.get(2)), o = op(rw, ElementwiseOps.SIGMOID, Map.of(), g.get(3));
        c = op(rw, ElementwiseOps.ADD, Map.of(), op(rw, ElementwiseOps.MUL, Map.of(), f, c), op(rw, ElementwiseOps.MUL, Map.of(), i, cell));
        h = op(rw, ElementwiseOps.MUL, Map.of(), o, op(rw, ElementwiseOps.TANH, Map.of(), c));
        outs.add(h);
      }
      hn.add(h);
      cn.add(c);
      seq = rw.create(ShapeOps.STACK, outs, Builder.attrs("dim", 0L)).result();
    }
    Value out = bf ? op(rw, ShapeOps.TRANSPOSE, Builder.attrs("dim0", 0L, "dim1", 1L), seq) : seq;
    Value hs = rw.create(ShapeOps.STACK, hn, Builder.attrs("dim", 0L)).result();
    Value cs = rw.create(ShapeOps.STACK, cn, Builder.attrs("dim", 0L)).result();
    if (!Rewriter.canReplace(n.result(0), out) || !Rewriter.canReplace(n.result(1), hs) || !Rewriter.canReplace(n.result(2), cs))
      throw new IllegalStateException(n.describe() + ": the unrolled LSTM has types " + out.type().text() + ", " + hs.type().text()
          + ", " + cs.type().text());
    rw.replace(n, List.of(out, hs, cs));
    return true;
  }

  private static Value linear(Rewriter rw, Value x, Value w, Value b) {
    List<Value> ops = new ArrayList<>(List.of(x, w));
    if (b != null) ops.add(b);
    return rw.create(QuantOps.LINEAR_DYNAMIC, ops, Map.of()).result();
  }

  private static Value op(Rewriter rw, OpDef op, Map<String, Attr> attrs, Value... operands) {
    return rw.create(op, List.of(operands), attrs).result();
  }
}
