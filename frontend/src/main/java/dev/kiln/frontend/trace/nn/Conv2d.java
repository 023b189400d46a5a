package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;

/** 2-D convolution as torch.nn.Conv2d: {@code weight [out, in/groups, k, k]}, {@code bias [out]}. */
public class Conv2d extends Module {
  public final Parameter weight, bias;
  private final long[] stride, padding, dilation;
  private final long groups;

  /** Square kernel, stride 1, no padding, with bias. */
  public Conv2d(long in, long out, long kernel) { this(in, out, kernel, 1, 0, 1, 1, true); }

  public Conv2d(long in, long out, long kernel, long stride, long padding, long dilation, long groups, boolean bias) {
    if (groups <= 0 || in % groups != 0 || out % groups != 0)
      throw new IllegalArgumentException("channels " + in + " -> " + out + " are not divisible by groups " + groups);
    this.weight = param("weight", out, in / groups, kernel, kernel);
    this.bias = bias ? param("bias", uniform(new long[] {out}, 1 / Math.sqrt(in / groups * kernel * kernel))) : null;
    this.stride = new long[] {stride, stride};
    this.padding = new long[] {padding, padding};
    this.dilation = new long[] {dilation, dilation};
    this.groups = groups;
  }

  @Override public T forward(T x) {
    return F.conv2d(x, weight.t(), bias != null ? bias.t() : null, stride, padding, dilation, groups);
  }
}
