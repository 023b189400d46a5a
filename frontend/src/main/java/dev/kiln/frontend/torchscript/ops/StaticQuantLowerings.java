package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.frontend.torchscript.OpLowering;
import dev.kiln.frontend.torchscript.PackedConvParams;
import dev.kiln.frontend.torchscript.PackedLinearParams;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.QuantNnOps;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What torch.quantization's static flow (eager prepare/convert, FX prepare_fx/convert_fx) leaves in an archive:
 * {@code ops.quantized.conv2d[_relu]}, {@code linear[_relu]}, {@code add[_relu]}, {@code matmul} with an output scale
 * and zero point, {@code conv2d_prepack}, and the float ops PyTorch dispatches to quantized kernels when their input
 * is quantized ({@code torch.relu}, {@code torch.max_pool2d}, {@code torch.adaptive_avg_pool2d}).
 */
final class StaticQuantLowerings {
  private StaticQuantLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> conv(cx, a, QuantNnOps.CONV2D), "ops.quantized.conv2d");
    r.add((cx, a, kw) -> conv(cx, a, QuantNnOps.CONV2D_RELU), "ops.quantized.conv2d_relu");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 6, "conv2d_prepack(weight, bias, stride, padding, dilation, groups)");
      return PackedConvParams.pack(cx, cx.tensor(a.get(0), "weight"), cx.optionalTensor(a.get(1), "bias"), cx.constInts(a.get(2), "stride"),
          cx.constInts(a.get(3), "padding"), cx.constInts(a.get(4), "dilation"), cx.constInt(a.get(5), "groups"));
    }, "ops.quantized.conv2d_prepack");
    r.add((cx, a, kw) -> linear(cx, a, QuantNnOps.LINEAR), "ops.quantized.linear");
    r.add((cx, a, kw) -> linear(cx, a, QuantNnOps.LINEAR_RELU), "ops.quantized.linear_relu");
    r.add((cx, a, kw) -> binary(cx, a, QuantNnOps.ADD, "add"), "ops.quantized.add");
    r.add((cx, a, kw) -> binary(cx, a, QuantNnOps.ADD_RELU, "add_relu"), "ops.quantized.add_relu");
    r.add((cx, a, kw) -> binary(cx, a, QuantNnOps.MATMUL, "matmul"), "ops.quantized.matmul");
    dispatch(r, "torch.relu", (cx, a, kw) -> cx.emit(QuantNnOps.RELU, Map.of(), (Value) a.get(0)));
    dispatch(r, "torch.relu_", (cx, a, kw) -> cx.emit(QuantNnOps.RELU, Map.of(), (Value) a.get(0)));
    dispatch(r, "torch.max_pool2d", (cx, a, kw) -> {
      Map<String, Attr> attrs = Builder.attrs("kernel_size", cx.constInts(get(a, kw, 1, "kernel_size", null), "kernel_size"),
          "stride", cx.constInts(get(a, kw, 2, "stride", List.of()), "stride"), "padding", pair(cx, get(a, kw, 3, "padding", 0L), "padding"),
          "dilation", pair(cx, get(a, kw, 4, "dilation", 1L), "dilation"), "ceil_mode", cx.constBool(get(a, kw, 5, "ceil_mode", false), "ceil_mode"));
      return cx.emit(QuantNnOps.MAX_POOL2D, attrs, (Value) a.get(0));
    });
    dispatch(r, "torch.adaptive_avg_pool2d", (cx, a, kw) -> {
      Object size = get(a, kw, 1, "output_size", null);
      if (size instanceof List<?> l && l.contains(null)) throw cx.fail("adaptive_avg_pool2d with a None output size is not supported");
      return cx.emit(QuantNnOps.ADAPTIVE_AVG_POOL2D, Builder.attrs("output_size", pair(cx, size, "output_size")), (Value) a.get(0));
    });
  }

  /** Replaces the float lowering of {@code name} by one that sends quantized inputs to {@code quantized}. */
  private static void dispatch(Registrar r, String name, OpLowering quantized) {
    OpLowering floats = r.table().get(name);
    if (floats == null) throw new IllegalStateException("no float lowering of " + name + " to dispatch from");
    r.table().put(name, (cx, a, kw) -> isQuantized(a) ? quantized.lower(cx, a, kw) : floats.lower(cx, a, kw));
  }

  static boolean isQuantized(List<Object> a) {
    return !a.isEmpty() && a.get(0) instanceof Value v && v.type() instanceof TensorType t && t.dtype().isQuantized();
  }

  private static long[] pair(LoweringContext cx, Object o, String what) {
    long[] v = cx.constInts(o, what);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  /** The output parameters {@code scale}, {@code zero_point} and {@code dtype} (that of the input, as PyTorch keeps it). */
  private static Map<String, Attr> out(LoweringContext cx, Value x, Object scale, Object zp) {
    return Builder.attrs("scale", knownFloat(cx, scale, "scale"), "zero_point", knownInt(cx, zp, "zero_point"), "dtype", cx.typeOf(x).dtype());
  }

  private static Object conv(LoweringContext cx, List<Object> a, OpDef op) {
    Args.need(cx, a, 4, op.name().substring(2) + "(input, packed_params, output_scale, output_zero_point)");
    Value x = cx.tensor(a.get(0), "input");
    PackedConvParams.Packed p = PackedConvParams.values(cx, a.get(1));
    Map<String, Attr> attrs = Builder.attrs("stride", p.stride(), "padding", p.padding(), "dilation", p.dilation(), "groups", p.groups());
    attrs.putAll(out(cx, x, a.get(2), a.get(3)));
    List<Value> ops = new ArrayList<>(List.of(x, p.weight()));
    if (p.bias() != null) ops.add(p.bias());
    return cx.emitMulti(op, attrs, ops).get(0);
  }

  private static Object linear(LoweringContext cx, List<Object> a, OpDef op) {
    Args.need(cx, a, 4, op.name().substring(2) + "(input, packed_params, output_scale, output_zero_point)");
    Value x = cx.tensor(a.get(0), "input");
    PackedLinearParams.Packed p = PackedLinearParams.values(cx, a.get(1));
    List<Value> ops = new ArrayList<>(List.of(x, p.weight()));
    if (p.bias() != null) ops.add(p.bias());
    return cx.emitMulti(op, out(cx, x, a.get(2), a.get(3)), ops).get(0);
  }

  private static Object binary(LoweringContext cx, List<Object> a, OpDef op, String name) {
    Args.need(cx, a, 4, name + "(qa, qb, scale, zero_point)");
    Value x = cx.tensor(a.get(0), "qa"), y = cx.tensor(a.get(1), "qb");
    return cx.emit(op, out(cx, x, a.get(2), a.get(3)), x, y);
  }

  /**
   * A number known while importing: a literal, or a one-element buffer of the archive read through {@code float()},
   * {@code int()} or directly (eager QuantStub's {@code float(self.scale)}, FX's {@code self._scale_0}).
   */
  static double knownFloat(LoweringContext cx, Object arg, String what) {
    Double d = known(cx, arg);
    if (d == null) throw cx.fail(what + " must be known while importing (a literal or a buffer of the archive), got " + describe(cx, arg));
    return d;
  }

  static long knownInt(LoweringContext cx, Object arg, String what) {
    Double d = known(cx, arg);
    if (d == null || d != Math.rint(d)) throw cx.fail(what + " must be an int known while importing, got " + describe(cx, arg));
    return d.longValue();
  }

  private static String describe(LoweringContext cx, Object arg) {
    return arg instanceof Value v ? "%" + v.displayName() + " : " + v.type().text() : String.valueOf(arg);
  }

  private static Double known(LoweringContext cx, Object arg) {
    if (arg instanceof Long l) return (double) l;
    if (arg instanceof Double d) return d;
    if (!(arg instanceof Value v) || v.definingNode() == null) return null;
    var def = v.definingNode();
    if (def.op() == PrimOps.FLOAT_ || def.op() == PrimOps.INT_) {
      Double inner = known(cx, def.operand(0));
      return inner == null ? null : def.op() == PrimOps.INT_ ? (double) inner.longValue() : inner;
    }
    if (def.op() == ControlOps.CONST && def.hasAttr("value") && def.attr("value") instanceof Attr.Float f) return f.value();
    if (def.op() == ControlOps.CONST && def.hasAttr("value") && def.attr("value") instanceof Attr.Int i) return (double) i.value();
    Tensor t = cx.weightData(v);
    return t != null && t.numel() == 1 && !t.dtype().isQuantized() ? t.doubleAt(0) : null;
  }

}
