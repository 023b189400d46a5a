package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.util.Map;

/**
 * Fake quantization of a QAT model before convert: {@code torch.fake_quantize_per_tensor_affine},
 * {@code fake_quantize_per_channel_affine} and the fused observer + fake-quant op of the default QAT qconfigs
 * ({@code torch.fused_moving_avg_obs_fake_quant}). Each becomes {@code q.quantize_per_tensor} (or per channel) and
 * {@code q.dequantize}, which compute PyTorch's fake-quant formula exactly: {@code (clamp(zp + rint(x * (1f / scale)),
 * qmin, qmax) - zp) * scale} in float. The quant range must be that of qu8 ([0,255]) or qi8 ([-128,127]).
 *
 * <p>The fused op also updates its observer when {@code observer_enabled} is set; an inference import cannot, so it
 * requires the observers disabled ({@code model.apply(torch.ao.quantization.disable_observer)} before saving) and
 * reads the scale and zero point buffers as they were saved. With {@code fake_quant_enabled} off it is the identity.
 */
final class FakeQuantLowerings {
  private FakeQuantLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 5, "fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max)");
      return perTensor(cx, cx.tensor(a.get(0), "input"), StaticQuantLowerings.knownFloat(cx, a.get(1), "scale"),
          StaticQuantLowerings.knownInt(cx, a.get(2), "zero_point"), cx.constInt(a.get(3), "quant_min"), cx.constInt(a.get(4), "quant_max"));
    }, "torch.fake_quantize_per_tensor_affine");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 6, "fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max)");
      return perChannel(cx, cx.tensor(a.get(0), "input"), buffer(cx, a.get(1), "scale"), buffer(cx, a.get(2), "zero_point"),
          cx.constInt(a.get(3), "axis"), cx.constInt(a.get(4), "quant_min"), cx.constInt(a.get(5), "quant_max"));
    }, "torch.fake_quantize_per_channel_affine");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 11, "fused_moving_avg_obs_fake_quant(self, observer_on, fake_quant_on, running_min, running_max, scale, "
          + "zero_point, averaging_const, quant_min, quant_max, ch_axis, per_row_fake_quant=False, symmetric_quant=False)");
      Value x = cx.tensor(a.get(0), "self");
      if (flag(cx, a.get(1), "observer_on"))
        throw cx.fail("the observer is enabled, so PyTorch would update the scale from each input; disable observers before saving "
            + "(model.apply(torch.ao.quantization.disable_observer))");
      if (!flag(cx, a.get(2), "fake_quant_on")) return x;
      long qmin = cx.constInt(a.get(8), "quant_min"), qmax = cx.constInt(a.get(9), "quant_max");
      Tensor scale = buffer(cx, a.get(5), "scale"), zp = buffer(cx, a.get(6), "zero_point");
      if (cx.constBool(get(a, kw, 11, "per_row_fake_quant", false), "per_row_fake_quant"))
        return perChannel(cx, x, scale, zp, cx.constInt(a.get(10), "ch_axis"), qmin, qmax);
      if (scale.numel() != 1 || zp.numel() != 1) throw cx.fail("per-tensor fake quantization needs one scale and zero point, got " + scale.numel());
      return perTensor(cx, x, scale.doubleAt(0), zp.longAt(0), qmin, qmax);
    }, "torch.fused_moving_avg_obs_fake_quant");
  }

  /** The quantized dtype whose range is [qmin, qmax]. */
  private static DType dtype(LoweringContext cx, long qmin, long qmax) {
    if (qmin == 0 && qmax == 255) return DType.QU8;
    if (qmin == -128 && qmax == 127) return DType.QI8;
    throw cx.fail("quant range [" + qmin + ", " + qmax + "] is not supported, expected [0, 255] or [-128, 127]");
  }

  private static Value perTensor(LoweringContext cx, Value x, double scale, long zp, long qmin, long qmax) {
    // PyTorch reads the scale as a float32 tensor; its double value is exactly that float.
    Map<String, Attr> attrs = Builder.attrs("scale", (double) (float) scale, "zero_point", zp, "dtype", dtype(cx, qmin, qmax));
    return cx.emit(QuantOps.DEQUANTIZE, Map.of(), cx.emit(QuantOps.QUANTIZE_PER_TENSOR, attrs, x));
  }

  private static Value perChannel(LoweringContext cx, Value x, Tensor scale, Tensor zp, long axis, long qmin, long qmax) {
    if (scale.numel() != zp.numel()) throw cx.fail(scale.numel() + " scales but " + zp.numel() + " zero points");
    double[] s = new double[(int) scale.numel()];
    long[] z = new long[s.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = (float) scale.doubleAt(i);
      z[i] = Math.round(zp.doubleAt(i));
    }
    Map<String, Attr> attrs = Builder.attrs("scales", s, "zero_points", z, "axis", axis, "dtype", dtype(cx, qmin, qmax));
    return cx.emit(QuantOps.DEQUANTIZE, Map.of(), cx.emit(QuantOps.QUANTIZE_PER_CHANNEL, attrs, x));
  }

  /** A tensor argument whose data the archive holds (a module buffer). */
  private static Tensor buffer(LoweringContext cx, Object arg, String what) {
    Tensor t = arg instanceof Value v ? cx.weightData(v) : null;
    if (t == null) throw cx.fail(what + " must be a buffer of the archive, got " + (arg instanceof Value v ? v.type().text() : String.valueOf(arg)));
    return t;
  }

  private static boolean flag(LoweringContext cx, Object arg, String what) {
    Tensor t = buffer(cx, arg, what);
    if (t.numel() != 1) throw cx.fail(what + " must hold one value, got " + t.numel());
    return t.doubleAt(0) != 0;
  }
}
