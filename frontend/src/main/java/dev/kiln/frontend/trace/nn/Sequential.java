package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;
import java.util.ArrayList;
import java.util.List;

/** Runs its children in order, as torch.nn.Sequential; they are named {@code 0}, {@code 1}, ... */
public class Sequential extends Module {
  private final List<Module> layers = new ArrayList<>();

  public Sequential(Module... layers) {
    for (Module m : layers) this.layers.add(child(Integer.toString(this.layers.size()), m));
  }

  /** The i-th layer. */
  public Module get(int i) { return layers.get(i); }

  public int size() { return layers.size(); }

  @Override public T forward(T x) {
    for (Module m : layers) x = m.forward(x);
    return x;
  }
}
