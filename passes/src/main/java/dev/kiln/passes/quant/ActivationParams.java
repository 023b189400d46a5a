package dev.kiln.passes.quant;

import dev.kiln.ir.DType;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.quant.calib.Observer;

/**
 * Activation quantization parameters from an observed range, as PyTorch's affine observers compute them
 * (quint8 over the full [0, 255], as the qnnpack engine uses it): {@code scale = (max - min) / 255} in float,
 * at least float epsilon, {@code zero_point = -round(min / scale)} clamped to the range, min and max widened to 0.
 */
public record ActivationParams(double scale, long zeroPoint, DType dtype) {
  private static final float EPS = Math.ulp(1f);

  public static ActivationParams of(Observer.Range r) {
    Observer.Range z = r.withZero();
    long qmin = QuantOps.qmin(DType.QU8), qmax = QuantOps.qmax(DType.QU8);
    float scale = Math.max((z.max() - z.min()) / (float) (qmax - qmin), EPS);
    long zp = qmin - (long) Math.rint(z.min() / scale);
    return new ActivationParams(scale, Math.max(qmin, Math.min(qmax, zp)), DType.QU8);
  }
}
