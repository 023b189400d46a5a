package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** Averages to a fixed output size, as torch.nn.AdaptiveAvgPool2d. */
public class AdaptiveAvgPool2d extends Module {
  private final long[] outputSize;

  public AdaptiveAvgPool2d(long h, long w) { this.outputSize = new long[] {h, w}; }

  @Override public T forward(T x) { return F.adaptiveAvgPool2d(x, outputSize); }
}
