package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;

/** A lookup table as torch.nn.Embedding: {@code weight [num, dim]}; the input is an integer tensor of indices. */
public class Embedding extends Module {
  public final Parameter weight;

  public Embedding(long num, long dim) { this.weight = param("weight", uniform(new long[] {num, dim}, 1)); }

  @Override public T forward(T idx) { return F.embedding(weight.t(), idx); }
}
