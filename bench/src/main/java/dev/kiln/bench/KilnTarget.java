package dev.kiln.bench;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.List;

/** A compiled Kiln model with its input bound; a timed call is one {@code run} with the same input list. */
public final class KilnTarget implements BenchTarget {
  private final String label;
  private final KilnBackend.Compiled model;
  private final List<Object> inputs;

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
    List<Object> out = model.run(inputs);
    return fetch ? firstTensor(out).toFloatArray() : null;
  }

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
