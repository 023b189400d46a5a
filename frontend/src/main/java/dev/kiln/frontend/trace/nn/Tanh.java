package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** {@code tanh(x)}, as torch.nn.Tanh; no parameters. */
public class Tanh extends Module {
  @Override public T forward(T x) { return x.tanh(); }
}
