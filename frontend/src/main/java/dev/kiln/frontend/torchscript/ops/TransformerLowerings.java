package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ReduceOps;
import dev.kiln.ir.ops.SequenceOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PyTorch 1.13's fused transformer fast paths, decomposed into linear, reshape, transpose, nn.attention, add and
 * layer norm. Both take batch-first inputs [B, L, E] (the fast path requires batch_first=True). Masks follow
 * mask_type: 0 is an attention mask [L, S], 1 a key padding mask [B, S]; a bool mask is true where attention is
 * blocked, a float mask is added to the scores.
 */
final class TransformerLowerings {
  private TransformerLowerings() {}

  static void register(Registrar r) {
    r.add(TransformerLowerings::nativeMha, "torch._native_multi_head_attention");
    r.add(TransformerLowerings::encoderLayer, "torch._transformer_encoder_layer_fwd");
  }

  /** The projection weights of one attention block. */
  record Attention(long embedDim, long heads, Value qkvWeight, Value qkvBias, Value projWeight, Value projBias) {}

  /**
   * _native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight,
   * proj_bias, mask=None, need_weights=True, average_attn_weights=True, mask_type=None) -> (out, weights).
   */
  private static Object nativeMha(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 9, "_native_multi_head_attention(query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight, proj_bias, ...)");
    Value q = cx.tensor(args.get(0), "query"), k = cx.tensor(args.get(1), "key"), v = cx.tensor(args.get(2), "value");
    Attention at = new Attention(cx.constInt(args.get(3), "embed_dim"), cx.constInt(args.get(4), "num_head"),
        cx.tensor(args.get(5), "qkv_weight"), cx.tensor(args.get(6), "qkv_bias"), cx.tensor(args.get(7), "proj_weight"),
        cx.tensor(args.get(8), "proj_bias"));
    Value mask = cx.optionalTensor(get(args, kw, 9, "mask", null), "mask");
    boolean needWeights = cx.constBool(get(args, kw, 10, "need_weights", true), "need_weights");
    boolean average = cx.constBool(get(args, kw, 11, "average_attn_weights", true), "average_attn_weights");
    Object maskType = get(args, kw, 12, "mask_type", null);
    Value[] out = attention(cx, at, q, k, v, mask, maskType, needWeights, average);
    Value weights = out[1] != null ? out[1]
        : cx.emit(ShapeOps.FULL, Builder.attrs("shape", new long[] {0}, "value", 0.0, "dtype", cx.typeOf(q).dtype()));
    return new PyTuple(List.of(out[0], weights));
  }

  /**
   * _transformer_encoder_layer_fwd(src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu,
   * norm_first, eps, norm_weight_1, norm_bias_1, norm_weight_2, norm_bias_2, ffn_weight_1, ffn_bias_1, ffn_weight_2,
   * ffn_bias_2, mask=None, mask_type=None). With ff(x) = linear2(act(linear1(x))) and sa the self-attention:
   * norm_first: x + sa(ln1(x)), then x + ff(ln2(x)); otherwise ln1(x + sa(x)), then ln2(x + ff(x)).
   */
  private static Object encoderLayer(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 18, "_transformer_encoder_layer_fwd(src, embed_dim, num_heads, ... 18 arguments, mask=None, mask_type=None)");
    Value src = cx.tensor(args.get(0), "src");
    Attention at = new Attention(cx.constInt(args.get(1), "embed_dim"), cx.constInt(args.get(2), "num_heads"),
        cx.tensor(args.get(3), "qkv_weight"), cx.tensor(args.get(4), "qkv_bias"), cx.tensor(args.get(5), "proj_weight"),
        cx.tensor(args.get(6), "proj_bias"));
    boolean gelu = cx.constBool(args.get(7), "use_gelu"), normFirst = cx.constBool(args.get(8), "norm_first");
    double eps = cx.constFloat(args.get(9), "eps");
    long[] normShape = {at.embedDim()};
    Value n1w = cx.tensor(args.get(10), "norm_weight_1"), n1b = cx.tensor(args.get(11), "norm_bias_1");
    Value n2w = cx.tensor(args.get(12), "norm_weight_2"), n2b = cx.tensor(args.get(13), "norm_bias_2");
    Value f1w = cx.tensor(args.get(14), "ffn_weight_1"), f1b = cx.tensor(args.get(15), "ffn_bias_1");
    Value f2w = cx.tensor(args.get(16), "ffn_weight_2"), f2b = cx.tensor(args.get(17), "ffn_bias_2");
    Value mask = cx.optionalTensor(get(args, kw, 18, "mask", null), "mask");
    Object maskType = get(args, kw, 19, "mask_type", null);

    Value x = src;
    Value saIn = normFirst ? NormLowerings.layerNorm(cx, x, normShape, n1w, n1b, eps) : x;
    Value sa = attention(cx, at, saIn, saIn, saIn, mask, maskType, false, false)[0];
    x = cx.emit(ElementwiseOps.ADD, Map.of(), x, sa);
    if (!normFirst) x = NormLowerings.layerNorm(cx, x, normShape, n1w, n1b, eps);
    Value ffIn = normFirst ? NormLowerings.layerNorm(cx, x, normShape, n2w, n2b, eps) : x;
    Value h = LinalgLowerings.linear(cx, ffIn, f1w, f1b);
    h = gelu ? cx.emit(ElementwiseOps.GELU, Map.of(), h) : cx.emit(ElementwiseOps.RELU, Map.of(), h);
    x = cx.emit(ElementwiseOps.ADD, Map.of(), x, LinalgLowerings.linear(cx, h, f2w, f2b));
    if (!normFirst) x = NormLowerings.layerNorm(cx, x, normShape, n2w, n2b, eps);
    return x;
  }

  /**
   * Multi-head attention on batch-first q [B,L,E], k and v [B,S,E]: project (one linear and a 3-way chunk when q,
   * k and v are the same value), split heads [B,H,L,D], attend, merge heads and project out. Returns the output
   * and, when {@code needWeights}, the softmax weights (averaged over heads when {@code average}), else null.
   */
  static Value[] attention(LoweringContext cx, Attention at, Value query, Value key, Value value, Value mask, Object maskType,
      boolean needWeights, boolean average) {
    long e = at.embedDim(), h = at.heads();
    if (h <= 0 || e % h != 0) throw cx.fail("embed_dim " + e + " is not divisible by num_heads " + h);
    if (Args.rank(cx, query, "query") != 3) throw cx.fail("the attention fast path needs batched [B, L, E] input, got " + cx.typeOf(query).text());
    Value q, k, v;
    if (query == key && key == value) {
      List<Value> qkv = cx.emitMulti(ShapeOps.CHUNK, Builder.attrs("chunks", 3L, "dim", -1L),
          List.of(LinalgLowerings.linear(cx, query, at.qkvWeight(), at.qkvBias())));
      q = qkv.get(0);
      k = qkv.get(1);
      v = qkv.get(2);
    } else {
      q = LinalgLowerings.linear(cx, query, rows(cx, at.qkvWeight(), 0, e), rows(cx, at.qkvBias(), 0, e));
      k = LinalgLowerings.linear(cx, key, rows(cx, at.qkvWeight(), e, 2 * e), rows(cx, at.qkvBias(), e, 2 * e));
      v = LinalgLowerings.linear(cx, value, rows(cx, at.qkvWeight(), 2 * e, 3 * e), rows(cx, at.qkvBias(), 2 * e, 3 * e));
    }
    q = splitHeads(cx, q, h, e / h);
    k = splitHeads(cx, k, h, e / h);
    v = splitHeads(cx, v, h, e / h);
    Value m = mask == null ? null : shapeMask(cx, mask, maskType);
    Value o, weights = null;
    if (!needWeights) {
      List<Value> ops = new ArrayList<>(List.of(q, k, v));
      if (m != null) ops.add(SequenceLowerings.allowedMask(cx, m));
      o = cx.emitMulti(SequenceOps.ATTENTION, Map.of(), ops).get(0);
    } else {
      // Spelled out so the weights exist: softmax(q k^T / sqrt(D) + mask) and then weights @ v.
      Value s = cx.emit(LinalgOps.MATMUL, Map.of(), q, cx.emit(ShapeOps.TRANSPOSE, Builder.attrs("dim0", -2L, "dim1", -1L), k));
      s = cx.emit(ElementwiseOps.MUL, Map.of(), s, cx.scalar(1.0 / Math.sqrt(e / h), "scale"));
      if (m != null && cx.typeOf(m).dtype() == DType.BOOL)
        s = cx.emit(ElementwiseOps.MASKED_FILL, Map.of(), s, m, cx.scalar(Double.NEGATIVE_INFINITY, "-inf"));
      else if (m != null) s = cx.emit(ElementwiseOps.ADD, Map.of(), s, m);
      Value w = cx.emit(NnOps.SOFTMAX, Builder.attrs("dim", -1L), s);
      o = cx.emit(LinalgOps.MATMUL, Map.of(), w, v);
      weights = average ? cx.emit(ReduceOps.MEAN, Builder.attrs("dims", new long[] {1}, "keepdim", false), w) : w;
    }
    o = cx.emit(ShapeOps.TRANSPOSE, Builder.attrs("dim0", 1L, "dim1", 2L), o);
    List<Object> merged = leading(cx, query);
    merged.add(e);
    o = ViewLowerings.reshape(cx, o, merged);
    return new Value[] {LinalgLowerings.linear(cx, o, at.projWeight(), at.projBias()), weights};
  }

  /** Rows [from, to) of a packed projection weight or bias. */
  private static Value rows(LoweringContext cx, Value t, long from, long to) {
    return cx.emit(ShapeOps.SLICE, Builder.attrs("dim", 0L, "start", from, "end", to, "step", 1L), t);
  }

  /** [B, L, H*D] -> [B, H, L, D]. */
  private static Value splitHeads(LoweringContext cx, Value t, long h, long d) {
    List<Object> shape = leading(cx, t);
    shape.add(h);
    shape.add(d);
    Value r = ViewLowerings.reshape(cx, t, shape);
    return cx.emit(ShapeOps.TRANSPOSE, Builder.attrs("dim0", 1L, "dim1", 2L), r);
  }

  /**
   * The sizes of dims 0 and 1 for a reshape: static ones as Longs and one symbolic dim as -1 (inferred), so no
   * prim.size is needed unless both are symbolic.
   */
  private static List<Object> leading(LoweringContext cx, Value t) {
    dev.kiln.ir.Shape s = cx.typeOf(t).shape();
    List<Object> out = new ArrayList<>();
    if (!s.dim(0).isStatic() && !s.dim(1).isStatic()) {
      out.add(ShapeLowerings.dimSize(cx, t, 0));
      out.add(ShapeLowerings.dimSize(cx, t, 1));
    } else {
      out.add(s.dim(0).isStatic() ? s.dim(0).size() : -1L);
      out.add(s.dim(1).isStatic() ? s.dim(1).size() : -1L);
    }
    return out;
  }

  /** An attention mask [L, S] broadcasts as it is; a key padding mask [B, S] becomes [B, 1, 1, S]. */
  private static Value shapeMask(LoweringContext cx, Value mask, Object maskType) {
    long type = maskType == null ? 0 : cx.constInt(maskType, "mask_type");
    if (type == 0) return mask;
    if (type != 1) throw cx.fail("mask_type must be 0 (attention mask) or 1 (key padding mask), got " + type);
    if (Args.rank(cx, mask, "mask") != 2) throw cx.fail("a key padding mask must be [B, S], got " + cx.typeOf(mask).text());
    Value m = cx.emit(ShapeOps.UNSQUEEZE, Builder.attrs("dim", 1L), mask);
    return cx.emit(ShapeOps.UNSQUEEZE, Builder.attrs("dim", 1L), m);
  }
}
