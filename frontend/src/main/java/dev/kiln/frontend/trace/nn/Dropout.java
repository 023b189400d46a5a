package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** Identity at inference (eval mode), as torch.nn.Dropout; kept so traced graphs read like the model. */
public class Dropout extends Module {
  private final double p;

  public Dropout(double p) { this.p = p; }

  @Override public T forward(T x) { return F.dropout(x, p); }
}
