package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** {@code max(x, 0)}, as torch.nn.ReLU; no parameters. */
public class ReLU extends Module {
  @Override public T forward(T x) { return x.relu(); }
}
