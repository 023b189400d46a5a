package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** Average pooling with a square window, as torch.nn.AvgPool2d (stride defaults to the kernel size). */
public class AvgPool2d extends Module {
  private final long[] kernel, stride, padding;

  public AvgPool2d(long kernel) { this(kernel, kernel, 0); }

  public AvgPool2d(long kernel, long stride, long padding) {
    this.kernel = new long[] {kernel, kernel};
    this.stride = new long[] {stride, stride};
    this.padding = new long[] {padding, padding};
  }

  @Override public T forward(T x) { return F.avgPool2d(x, kernel, stride, padding); }
}
