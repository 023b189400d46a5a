package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** {@code x * Phi(x), the exact (erf) form}, as torch.nn.GELU; no parameters. */
public class GELU extends Module {
  @Override public T forward(T x) { return x.gelu(); }
}
