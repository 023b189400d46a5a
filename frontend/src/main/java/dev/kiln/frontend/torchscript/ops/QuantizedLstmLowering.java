package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.frontend.torchscript.PackedLinearParams;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.quantized_lstm} of a dynamically quantized nn.LSTM ({@code quantize_dynamic}), unrolled over the
 * (static) sequence length as PyTorch computes it: per layer, the input projection of the whole sequence is one
 * {@code q.linear_dynamic} (so its activation scale comes from the whole sequence), then per step
 * {@code gates = linear_dynamic(h, W_hh, b_hh) + input_projection[t]}, chunked into i, f, g, o;
 * {@code c = sigmoid(f) * c + sigmoid(i) * tanh(g)}, {@code h = sigmoid(o) * tanh(c)}.
 *
 * <p>Each layer's weights are a TorchBind {@code __torch__.torch.classes.rnn.CellParamsBase} whose state is
 * {@code ("quantized_dynamic", [b_ih, b_hh], [], [reduce_range], [packed W_ih, packed W_hh])}; the packed params carry
 * the biases. Unidirectional only; the packed-sequence overload is not supported.
 */
final class QuantizedLstmLowering {
  private QuantizedLstmLowering() {}

  static final String CELL = "__torch__.torch.classes.rnn.CellParamsBase";

  static void register(Registrar r) { r.add(QuantizedLstmLowering::lower, "torch.quantized_lstm"); }

  private record Layer(PackedLinearParams.Packed ih, PackedLinearParams.Packed hh) {}

  private static Object lower(LoweringContext cx, List<Object> a, Map<String, Object> kw) {
    if (a.size() > 1 && a.get(1) instanceof Value) throw cx.fail("the packed-sequence form of quantized_lstm is not supported");
    Args.need(cx, a, 9, "quantized_lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first, dtype=, use_dynamic=)");
    if (!cx.constBool(get(a, kw, 11, "use_dynamic", false), "use_dynamic")) throw cx.fail("only dynamically quantized LSTMs (use_dynamic=True) are supported");
    Object dtype = get(a, kw, 10, "dtype", null);
    if (dtype != null && cx.constInt(dtype, "dtype") != 12) throw cx.fail("only qint8 weights (dtype=torch.qint8) are supported, got dtype code " + dtype);
    if (cx.constBool(a.get(7), "bidirectional")) throw cx.fail("bidirectional quantized LSTMs are not supported");
    boolean batchFirst = cx.constBool(a.get(8), "batch_first");
    long layers = cx.constInt(a.get(4), "num_layers");
    Value x = cx.tensor(a.get(0), "input");
    TensorType xt = cx.typeOf(x);
    if (!xt.shape().isRanked() || xt.rank() != 3) throw cx.fail("input must be 3-D, got " + xt.text());
    int time = batchFirst ? 1 : 0;
    Dim steps = xt.shape().dim(time);
    if (!steps.isStatic()) throw cx.fail("the sequence length must be static to unroll the LSTM, got " + xt.text());
    if (!(a.get(1) instanceof List<?> hx) || hx.size() != 2) throw cx.fail("hx must be a list [h0, c0]");
    Value h0 = cx.tensor(hx.get(0), "h0"), c0 = cx.tensor(hx.get(1), "c0");
    if (!(a.get(2) instanceof List<?> params) || params.size() != layers)
      throw cx.fail("expected " + layers + " " + CELL + " objects, got " + (a.get(2) instanceof List<?> l ? l.size() : describe(a.get(2))));
    List<Value> hn = new ArrayList<>(), cn = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      Layer p = layer(cx, params.get(l), l);
      Value pre = linear(cx, x, p.ih());
      Value h = cx.emit(ShapeOps.SELECT, Builder.attrs("dim", 0L, "index", (long) l), h0);
      Value c = cx.emit(ShapeOps.SELECT, Builder.attrs("dim", 0L, "index", (long) l), c0);
      List<Value> outs = new ArrayList<>();
      for (long t = 0; t < steps.size(); t++) {
        Value pt = cx.emit(ShapeOps.SELECT, Builder.attrs("dim", (long) time, "index", t), pre);
        Value g = cx.emit(ElementwiseOps.ADD, Map.of(), linear(cx, h, p.hh()), pt);
        List<Value> gates = cx.emitMulti(ShapeOps.CHUNK, Builder.attrs("chunks", 4L, "dim", 1L), List.of(g));
        Value in = cx.emit(ElementwiseOps.SIGMOID, Map.of(), gates.get(0));
        Value forget = cx.emit(ElementwiseOps.SIGMOID, Map.of(), gates.get(1));
        Value cell = cx.emit(ElementwiseOps.TANH, Map.of(), gates.get(2));
        Value out = cx.emit(ElementwiseOps.SIGMOID, Map.of(), gates.get(3));
        c = cx.emit(ElementwiseOps.ADD, Map.of(), cx.emit(ElementwiseOps.MUL, Map.of(), forget, c), cx.emit(ElementwiseOps.MUL, Map.of(), in, cell));
        h = cx.emit(ElementwiseOps.MUL, Map.of(), out, cx.emit(ElementwiseOps.TANH, Map.of(), c));
        outs.add(h);
      }
      x = cx.emitMulti(ShapeOps.STACK, Builder.attrs("dim", (long) time), outs).get(0);
      hn.add(h);
      cn.add(c);
    }
    Value hs = cx.emitMulti(ShapeOps.STACK, Builder.attrs("dim", 0L), hn).get(0), cs = cx.emitMulti(ShapeOps.STACK, Builder.attrs("dim", 0L), cn).get(0);
    return PyTuple.of(x, hs, cs);
  }

  private static String describe(Object o) { return o == null ? "None" : o.getClass().getSimpleName(); }

  private static Value linear(LoweringContext cx, Value x, PackedLinearParams.Packed p) {
    List<Value> ops = new ArrayList<>(List.of(x, p.weight()));
    if (p.bias() != null) ops.add(p.bias());
    return cx.emitMulti(QuantOps.LINEAR_DYNAMIC, Map.of(), ops).get(0);
  }

  /** One layer's packed input and hidden weights from its CellParamsBase, named {@code <path>.weight_ih} and so on. */
  private static Layer layer(LoweringContext cx, Object o, int l) {
    if (!(o instanceof TorchObject cell) || !cell.qualifiedName().equals(CELL))
      throw cx.fail("layer " + l + ": expected a " + CELL + ", got " + describe(o));
    if (!(cell.state() instanceof PyTuple t) || t.size() != 5 || !"quantized_dynamic".equals(t.get(0)) || !(t.get(4) instanceof List<?> packed)
        || packed.size() != 2 || !(packed.get(0) instanceof TorchObject ih) || !(packed.get(1) instanceof TorchObject hh))
      throw cx.fail("layer " + l + ": " + CELL + " state is not (\"quantized_dynamic\", tensors, doubles, longs, [packed W_ih, packed W_hh])");
    String path = cx.modulePath(cell) != null && !cx.modulePath(cell).equals("?") ? cx.modulePath(cell) : "lstm.layer" + l;
    try {
      PackedLinearParams.State i = PackedLinearParams.decode(ih), h = PackedLinearParams.decode(hh);
      return new Layer(values(cx, i, path, "ih"), values(cx, h, path, "hh"));
    } catch (IllegalArgumentException e) {
      throw cx.fail("layer " + l + ": " + e.getMessage());
    }
  }

  private static PackedLinearParams.Packed values(LoweringContext cx, PackedLinearParams.State s, String path, String which) {
    Value w = cx.weight(s.weight(), path + ".weight_" + which);
    Value b = s.bias() == null ? null : cx.weight(s.bias(), path + ".bias_" + which);
    return new PackedLinearParams.Packed(w, b);
  }
}
