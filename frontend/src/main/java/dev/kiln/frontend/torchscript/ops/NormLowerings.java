package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Batch and layer norm in inference form, and dropout (the identity at inference). */
final class NormLowerings {
  private NormLowerings() {}

  static void register(Registrar r) {
    r.add(NormLowerings::batchNorm, "torch.batch_norm");
    r.add(NormLowerings::layerNorm, "torch.layer_norm");
    r.add(NormLowerings::dropout, "torch.dropout", "torch.dropout_", "torch.feature_dropout", "torch.feature_dropout_",
        "torch.alpha_dropout", "torch.alpha_dropout_", "torch.feature_alpha_dropout", "torch.feature_alpha_dropout_");
  }

  /**
   * batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled). Traced and
   * frozen archives record training=False for modules in eval mode; a known True (batch statistics) is refused.
   */
  private static Object batchNorm(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 8, "batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, ...)");
    if (cx.constBool(args.get(5), "training"))
      throw cx.fail("batch_norm with training=True uses batch statistics; export the model in eval mode (model.eval())");
    Value x = cx.tensor(args.get(0), "input");
    Object meanArg = args.get(3), varArg = args.get(4);
    if (meanArg == null || varArg == null) throw cx.fail("batch_norm without running statistics (track_running_stats=False) is not supported");
    Value w = cx.optionalTensor(args.get(1), "weight"), b = cx.optionalTensor(args.get(2), "bias");
    List<Value> operands = new ArrayList<>(List.of(x, cx.tensor(meanArg, "running_mean"), cx.tensor(varArg, "running_var")));
    if (w == null && b != null) w = ones(cx, x, 1);
    if (w != null) operands.add(w);
    if (b != null) operands.add(b);
    return cx.emitMulti(NnOps.BATCH_NORM, Builder.attrs("eps", cx.constFloat(args.get(7), "eps")), operands).get(0);
  }

  /** layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True). */
  private static Object layerNorm(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "layer_norm(input, normalized_shape, ...)");
    Value x = cx.tensor(args.get(0), "input");
    long[] shape = cx.constInts(args.get(1), "normalized_shape");
    Value w = cx.optionalTensor(get(args, kw, 2, "weight", null), "weight"), b = cx.optionalTensor(get(args, kw, 3, "bias", null), "bias");
    double eps = cx.constFloat(get(args, kw, 4, "eps", 1e-5), "eps");
    return layerNorm(cx, x, shape, w, b, eps);
  }

  static Value layerNorm(LoweringContext cx, Value x, long[] shape, Value w, Value b, double eps) {
    List<Value> operands = new ArrayList<>(List.of(x));
    if (w == null && b != null)
      w = cx.emit(ShapeOps.FULL, Builder.attrs("shape", shape, "value", 1.0, "dtype", cx.typeOf(x).dtype()));
    if (w != null) operands.add(w);
    if (b != null) operands.add(b);
    return cx.emitMulti(NnOps.LAYER_NORM, Builder.attrs("normalized_shape", shape, "eps", eps), operands).get(0);
  }

  /** A tensor of ones as long as dim {@code d} of {@code x} (a default weight when only a bias is given). */
  private static Value ones(LoweringContext cx, Value x, int d) {
    TensorType t = cx.typeOf(x);
    Dim c = t.shape().isRanked() && t.rank() > d ? t.shape().dim(d) : Dim.UNKNOWN;
    if (!c.isStatic()) throw cx.fail("batch_norm without weight needs a static channel count, got " + t.text());
    return cx.emit(ShapeOps.FULL, Builder.attrs("shape", new long[] {c.size()}, "value", 1.0, "dtype", t.dtype()));
  }

  /** dropout(input, p, train): the identity at inference; train=True with p > 0 would need random numbers. */
  private static Object dropout(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 1, "dropout(input, p, train)");
    Value x = cx.tensor(args.get(0), "input");
    Object train = get(args, kw, 2, "train", false);
    if (cx.constBool(train, "train") && cx.constFloat(get(args, kw, 1, "p", 0.5), "p") > 0)
      throw cx.fail("dropout with train=True is random; export the model in eval mode (model.eval())");
    return x;
  }
}
