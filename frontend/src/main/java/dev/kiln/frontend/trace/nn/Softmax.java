package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** Softmax over {@code dim}, as torch.nn.Softmax. */
public class Softmax extends Module {
  private final int dim;

  public Softmax(int dim) { this.dim = dim; }

  @Override public T forward(T x) { return F.softmax(x, dim); }
}
