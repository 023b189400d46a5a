package dev.kiln.bench;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.List;

/**
 * A compiled Kiln model with its input bound; a timed call is one {@code run} with the same input list.
 *
 * <p>A fetching call ({@link #fetch}: the first call and the checks) calls the model from code that stays
 * interpreted, straight into a JVM-backend model's own entry ({@link CompiledModel#run}) when there is one. The
 * timed calls' path ({@code run(false)} and {@link #direct}) is compiled code that the JIT specialized to the
 * models of the cells before; a cell's model is a new class, and its first call through that path went through
 * the JIT's slow paths (a call-site cache changing state, a deoptimization): mlp b8's first call spent 9-22 us of
 * its 25-45 us there, its second 0.1 us. A first call from code the JIT has not specialized is what a program
 * that has just loaded a model makes, and it times Kiln's side alone.
 */
public final class KilnTarget implements BenchTarget {
  private final String label;
  private final KilnBackend.Compiled model;
  /** The model's own entry when {@code model} is a JVM-backend model ({@link #direct}), else null. */
  private final CompiledModel entry;
  private final List<Object> inputs;
  private long lastRunNanos = -1;

  /**
   * @param label e.g. {@code "kiln-interp"}, not null
   * @param model a compiled model, not null
   * @param input the input tensor, not null
   */
  public KilnTarget(String label, KilnBackend.Compiled model, Tensor input) {
    this.label = label;
    this.model = model;
    this.entry = model instanceof Direct d ? d.model() : null;
    this.inputs = List.of(input);
  }

  @Override public String label() { return label; }

  @Override
  public float[] run(boolean fetch) {
    if (fetch) return fetch();
    model.run(inputs);
    return null;
  }

  /**
   * A fetching call, times its {@code run} alone. A few calls per cell, so it stays interpreted (see the class
   * comment); too big for the JIT to inline into {@link #run} when it compiles that.
   */
  private float[] fetch() {
    List<Object> out;
    long t0 = System.nanoTime();
    if (entry != null) out = entry.run(inputs);
    else out = model.run(inputs);
    lastRunNanos = System.nanoTime() - t0;
    return firstTensor(out).toFloatArray();
  }

  /** The last fetching call's {@code model.run} alone (timed calls are not timed inside, so they pay no extra clock reads). */
  @Override public long lastRunNanos() { return lastRunNanos; }

  @Override public void close() { model.close(); }

  /**
   * A JVM-backend model as the bench calls it. A named class rather than a method reference to {@code run}: the
   * class of a method reference is made where it is first evaluated, which for the backend's was right after the
   * first cell's warm-up, just before Kiln's first call; {@link Race#prime} loads this one before the first cell.
   */
  static KilnBackend.Compiled direct(CompiledModel model) { return new Direct(model); }

  private record Direct(CompiledModel model) implements KilnBackend.Compiled {
    @Override public List<Object> run(List<Object> inputs) { return model.run(inputs); }
  }

  /** The first tensor of the outputs, looking into a tuple or list (a model returning (logits, state)). */
  static Tensor firstTensor(Object v) {
    return switch (v) {
      case Tensor t -> t;
      case Tuple t -> firstTensor(t.elements());
      case List<?> l when !l.isEmpty() -> firstTensor(l.get(0));
      case null, default -> throw new IllegalStateException("kiln: the model's first output is not a tensor: " + v);
    };
  }
}
