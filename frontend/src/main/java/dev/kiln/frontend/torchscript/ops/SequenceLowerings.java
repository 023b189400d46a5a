package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.SequenceOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The LSTM and scaled dot-product attention, each kept as one IR op. */
final class SequenceLowerings {
  private SequenceLowerings() {}

  static void register(Registrar r) {
    r.add(SequenceLowerings::lstm, "torch.lstm");
    r.add(SequenceLowerings::sdpa, "torch.scaled_dot_product_attention");
  }

  /**
   * lstm(input, (h0, c0), flat_weights, has_biases, num_layers, dropout, train, bidirectional, batch_first) gives
   * the tuple (output, h_n, c_n). The packed-sequence overload (a batch_sizes tensor second) is refused.
   */
  private static Object lstm(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 9, "lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)");
    if (Args.isTensor(args.get(1))) throw cx.fail("lstm over a packed sequence (batch_sizes given) is not supported");
    Value x = cx.tensor(args.get(0), "input");
    List<Object> hx = Args.list(cx, args.get(1), "hx");
    if (hx.size() != 2) throw cx.fail("lstm needs hx = (h0, c0), got " + hx.size() + " tensors");
    List<Value> operands = new ArrayList<>(List.of(x, cx.tensor(hx.get(0), "h0"), cx.tensor(hx.get(1), "c0")));
    operands.addAll(Args.tensors(cx, args.get(2), "params"));
    double dropout = cx.constFloat(args.get(5), "dropout");
    if (cx.constBool(args.get(6), "train") && dropout > 0)
      throw cx.fail("lstm with train=True and dropout " + dropout + " is random; export the model in eval mode");
    Map<String, Attr> attrs = Builder.attrs("num_layers", cx.constInt(args.get(4), "num_layers"),
        "has_biases", cx.constBool(args.get(3), "has_biases"), "bidirectional", cx.constBool(args.get(7), "bidirectional"),
        "batch_first", cx.constBool(args.get(8), "batch_first"));
    List<Value> out = cx.emitMulti(SequenceOps.LSTM, attrs, operands);
    return new PyTuple(new ArrayList<>(out));
  }

  /** scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None). */
  private static Object sdpa(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 3, "scaled_dot_product_attention(query, key, value, ...)");
    if (cx.constFloat(get(args, kw, 4, "dropout_p", 0.0), "dropout_p") > 0)
      throw cx.fail("scaled_dot_product_attention with dropout_p > 0 is random; pass dropout_p=0 at inference");
    Value q = cx.tensor(args.get(0), "query"), k = cx.tensor(args.get(1), "key"), v = cx.tensor(args.get(2), "value");
    Map<String, Attr> attrs = Builder.attrs("causal", cx.constBool(get(args, kw, 5, "is_causal", false), "is_causal"));
    Object scale = get(args, kw, 6, "scale", null);
    if (scale != null) attrs.put("scale", Attr.of(cx.constFloat(scale, "scale")));
    Value mask = cx.optionalTensor(get(args, kw, 3, "attn_mask", null), "attn_mask");
    List<Value> ops = new ArrayList<>(List.of(q, k, v));
    // PyTorch's bool attn_mask is already true where attention is allowed, as nn.attention wants.
    if (mask != null) ops.add(mask);
    return cx.emitMulti(SequenceOps.ATTENTION, attrs, ops).get(0);
  }

  /** A bool mask that is true where attention is NOT allowed (PyTorch's MHA convention) turned into nn.attention's. */
  static Value allowedMask(LoweringContext cx, Value blockedMask) {
    if (cx.typeOf(blockedMask).dtype() != DType.BOOL) return blockedMask;
    return cx.emit(ElementwiseOps.NOT, Map.of(), blockedMask);
  }
}
