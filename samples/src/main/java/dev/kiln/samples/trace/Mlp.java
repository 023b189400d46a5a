package dev.kiln.samples.trace;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;
import dev.kiln.frontend.trace.nn.Linear;
import dev.kiln.frontend.trace.nn.ReLU;
import dev.kiln.frontend.trace.nn.Sequential;
import dev.kiln.frontend.trace.nn.Tanh;

/**
 * An MLP written in Java, mirroring {@code MLP} in tests/fixtures/gen_trace.py name for name, so PyTorch's state
 * dict loads into it: {@code body.0.weight}, {@code body.2.weight}, {@code head.weight} ...
 */
public final class Mlp extends Module {
  private final Sequential body = child("body", new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 16), new Tanh()));
  private final Linear head = child("head", new Linear(16, 4));

  @Override public T forward(T x) { return F.logSoftmax(head.forward(body.forward(x)), -1); }
}
