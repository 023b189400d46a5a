package dev.kiln.bench;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.List;

/** A compiled Kiln model with its input bound; a timed call is one {@code run} with the same input list. */
public final class KilnTarget implements BenchTarget {
  private final String label;
  private final KilnBackend.Compiled model;
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
    this.inputs = List.of(input);
  }

  @Override public String label() { return label; }

  @Override
  public float[] run(boolean fetch) {
    if (!fetch) {
      model.run(inputs);
      return null;
    }
    long t0 = System.nanoTime();
    List<Object> out = model.run(inputs);
    lastRunNanos = System.nanoTime() - t0;
    return firstTensor(out).toFloatArray();
  }

  /** The last fetching call's {@code model.run} alone (timed calls are not timed inside, so they pay no extra clock reads). */
  @Override public long lastRunNanos() { return lastRunNanos; }

  @Override public void close() { model.close(); }

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
