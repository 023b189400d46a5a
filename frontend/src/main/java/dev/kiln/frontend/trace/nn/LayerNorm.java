package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;

/** Layer norm over the trailing {@code normalizedShape} dims, as torch.nn.LayerNorm: {@code weight}, {@code bias}. */
public class LayerNorm extends Module {
  public final Parameter weight, bias;
  private final long[] normalizedShape;
  private final double eps;

  public LayerNorm(long... normalizedShape) { this(1e-5, normalizedShape); }

  public LayerNorm(double eps, long... normalizedShape) {
    this.normalizedShape = normalizedShape.clone();
    this.weight = filled("weight", 1, normalizedShape);
    this.bias = filled("bias", 0, normalizedShape);
    this.eps = eps;
  }

  @Override public T forward(T x) { return F.layerNorm(x, normalizedShape, weight.t(), bias.t(), eps); }
}
