package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;

/** Merges dims {@code startDim..endDim}, as torch.nn.Flatten (default 1..-1, keeping the batch dim). */
public class Flatten extends Module {
  private final int startDim, endDim;

  public Flatten() { this(1, -1); }

  public Flatten(int startDim, int endDim) {
    this.startDim = startDim;
    this.endDim = endDim;
  }

  @Override public T forward(T x) { return x.flatten(startDim, endDim); }
}
