package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;

/** {@code y = x W^T + b} as torch.nn.Linear: {@code weight [out,in]}, {@code bias [out]}. */
public class Linear extends Module {
  public final Parameter weight, bias;

  public Linear(long in, long out) { this(in, out, true); }

  public Linear(long in, long out, boolean bias) {
    this.weight = param("weight", out, in);
    this.bias = bias ? param("bias", uniform(new long[] {out}, 1 / Math.sqrt(in))) : null;
  }

  @Override public T forward(T x) { return F.linear(x, weight.t(), bias != null ? bias.t() : null); }
}
