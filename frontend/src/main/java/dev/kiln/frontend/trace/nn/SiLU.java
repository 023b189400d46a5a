package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** {@code x * sigmoid(x)}, as torch.nn.SiLU; no parameters. */
public class SiLU extends Module {
  @Override public T forward(T x) { return x.silu(); }
}
