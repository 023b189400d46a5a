package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.NnOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Convolution (torch.conv2d and the traced 13-argument torch._convolution) and 2-D pooling. */
final class ConvPoolLowerings {
  private ConvPoolLowerings() {}

  static void register(Registrar r) {
    r.add(ConvPoolLowerings::conv2d, "torch.conv2d");
    r.add(ConvPoolLowerings::convolution, "torch._convolution");
    r.add((cx, a, kw) -> {
      Value x = ElementwiseLowerings.x(cx, a);
      long[] k = cx.constInts(get(a, kw, 1, "kernel_size", null), "kernel_size");
      Map<String, Attr> attrs = Builder.attrs("kernel_size", k, "stride", cx.constInts(get(a, kw, 2, "stride", List.of()), "stride"),
          "padding", pair(cx, get(a, kw, 3, "padding", 0L), "padding"), "dilation", pair(cx, get(a, kw, 4, "dilation", 1L), "dilation"),
          "ceil_mode", cx.constBool(get(a, kw, 5, "ceil_mode", false), "ceil_mode"));
      return cx.emit(NnOps.MAX_POOL2D, attrs, x);
    }, "torch.max_pool2d");
    r.add((cx, a, kw) -> {
      Value x = ElementwiseLowerings.x(cx, a);
      Map<String, Attr> attrs = Builder.attrs("kernel_size", cx.constInts(get(a, kw, 1, "kernel_size", null), "kernel_size"),
          "stride", cx.constInts(get(a, kw, 2, "stride", List.of()), "stride"), "padding", pair(cx, get(a, kw, 3, "padding", 0L), "padding"),
          "ceil_mode", cx.constBool(get(a, kw, 4, "ceil_mode", false), "ceil_mode"),
          "count_include_pad", cx.constBool(get(a, kw, 5, "count_include_pad", true), "count_include_pad"));
      Object div = get(a, kw, 6, "divisor_override", null);
      if (div != null) attrs.put("divisor_override", Attr.of(cx.constInt(div, "divisor_override")));
      return cx.emit(NnOps.AVG_POOL2D, attrs, x);
    }, "torch.avg_pool2d");
    r.add((cx, a, kw) -> {
      Value x = ElementwiseLowerings.x(cx, a);
      Object size = get(a, kw, 1, "output_size", null);
      if (size instanceof List<?> l && l.contains(null)) throw cx.fail("adaptive_avg_pool2d with a None output size is not supported");
      return cx.emit(NnOps.ADAPTIVE_AVG_POOL2D, Builder.attrs("output_size", pair(cx, size, "output_size")), x);
    }, "torch.adaptive_avg_pool2d");
  }

  /** An int or a list of ints as a 2-element list (PyTorch's stride=2 means [2, 2]). */
  private static long[] pair(LoweringContext cx, Object o, String what) {
    long[] v = cx.constInts(o, what);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  /** conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1); padding may be "valid"/"same". */
  private static Object conv2d(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "conv2d(input, weight, ...)");
    Value x = cx.tensor(args.get(0), "input"), w = cx.tensor(args.get(1), "weight");
    Value b = cx.optionalTensor(get(args, kw, 2, "bias", null), "bias");
    long[] stride = pair(cx, get(args, kw, 3, "stride", 1L), "stride");
    long[] dilation = pair(cx, get(args, kw, 5, "dilation", 1L), "dilation");
    Object padArg = get(args, kw, 4, "padding", 0L);
    long[] padding = padArg instanceof String s ? stringPadding(cx, s, w, stride, dilation) : pair(cx, padArg, "padding");
    return emitConv(cx, x, w, b, stride, padding, dilation, cx.constInt(get(args, kw, 6, "groups", 1L), "groups"));
  }

  /**
   * _convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, benchmark,
   * deterministic, cudnn_enabled, allow_tf32): the last four only pick kernels, so they are ignored.
   */
  private static Object convolution(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 9, "_convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups, ...)");
    if (cx.constBool(args.get(6), "transposed"))
      throw cx.fail("transposed convolution (_convolution with transposed=True) is not supported");
    Value x = cx.tensor(args.get(0), "input"), w = cx.tensor(args.get(1), "weight");
    return emitConv(cx, x, w, cx.optionalTensor(args.get(2), "bias"), pair(cx, args.get(3), "stride"), pair(cx, args.get(4), "padding"),
        pair(cx, args.get(5), "dilation"), cx.constInt(args.get(8), "groups"));
  }

  private static Value emitConv(LoweringContext cx, Value x, Value w, Value b, long[] stride, long[] padding, long[] dilation, long groups) {
    if (cx.typeOf(w).shape().isRanked() && cx.typeOf(w).rank() != 4)
      throw cx.fail("only 2-D convolution is supported; weight is " + cx.typeOf(w).text());
    Map<String, Attr> attrs = Builder.attrs("stride", stride, "padding", padding, "dilation", dilation, "groups", groups);
    List<Value> operands = new ArrayList<>(List.of(x, w));
    if (b != null) operands.add(b);
    return cx.emitMulti(dev.kiln.ir.ops.NnOps.CONV2D, attrs, operands).get(0);
  }

  /** padding="valid" is no padding; "same" keeps the size with stride 1 when the total padding splits evenly. */
  private static long[] stringPadding(LoweringContext cx, String mode, Value w, long[] stride, long[] dilation) {
    if (mode.equals("valid")) return new long[] {0, 0};
    if (!mode.equals("same")) throw cx.fail("padding must be 'valid', 'same' or numbers, got '" + mode + "'");
    if (stride[0] != 1 || stride[1] != 1) throw cx.fail("padding='same' needs stride 1");
    long[] k = cx.typeOf(w).shape().sizes();
    long[] pad = new long[2];
    for (int i = 0; i < 2; i++) {
      long total = dilation[i] * (k[2 + i] - 1);
      if (total % 2 != 0) throw cx.fail("padding='same' with an even kernel pads unevenly, which is not supported");
      pad[i] = total / 2;
    }
    return pad;
  }
}
