package dev.kiln.ir;

import java.util.List;

/**
 * Affine quantization parameters: {@code real = scale * (q - zeroPoint)}. Per tensor when {@code axis == -1}
 * (one scale, one zero point); per channel along {@code axis} otherwise.
 */
public record Quant(int axis, List<Double> scales, List<Long> zeroPoints) {
  public Quant {
    scales = List.copyOf(scales);
    zeroPoints = List.copyOf(zeroPoints);
    if (scales.size() != zeroPoints.size() || scales.isEmpty())
      throw new IllegalArgumentException("quant needs as many scales as zero points, at least one");
    if (axis < 0 && scales.size() != 1) throw new IllegalArgumentException("per-tensor quant has one scale");
  }

  public static Quant perTensor(double scale, long zeroPoint) {
    return new Quant(-1, List.of(scale), List.of(zeroPoint));
  }

  public boolean perChannel() { return axis >= 0; }

  /** IR text without braces: {@code q=0.05:3} or {@code q(axis=0)=[0.1:0,0.2:0]}. */
  @Override public String toString() {
    if (!perChannel()) return "q=" + Attr.formatDouble(scales.get(0)) + ":" + zeroPoints.get(0);
    StringBuilder sb = new StringBuilder("q(axis=").append(axis).append(")=[");
    for (int i = 0; i < scales.size(); i++) {
      if (i > 0) sb.append(',');
      sb.append(Attr.formatDouble(scales.get(i))).append(':').append(zeroPoints.get(i));
    }
    return sb.append(']').toString();
  }
}
