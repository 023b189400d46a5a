package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** {@code 1 / (1 + exp(-x))}, as torch.nn.Sigmoid; no parameters. */
public class Sigmoid extends Module {
  @Override public T forward(T x) { return x.sigmoid(); }
}
