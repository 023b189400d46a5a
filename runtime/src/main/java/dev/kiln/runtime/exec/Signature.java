package dev.kiln.runtime.exec;

import java.util.List;

/** What a model takes and returns, in order. */
public record Signature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
  public Signature {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** {@code (x: f32[N,4]) -> (probs: f32[N,3])}. */
  @Override public String toString() {
    return "(" + String.join(", ", inputs.stream().map(TensorSpec::toString).toList()) + ") -> ("
        + String.join(", ", outputs.stream().map(TensorSpec::toString).toList()) + ")";
  }
}
