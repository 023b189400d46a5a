package dev.kiln.runtime.exec;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * One input or output of a model as a caller sees it.
 *
 * @param name the input's or output's name (unique on its side)
 * @param type the IR type, e.g. {@code f32[N,3,224,224]}
 */
public record TensorSpec(String name, Type type) {
  /** True for tensors; other kinds (int, tuple ...) are possible in graphs from TorchScript. */
  public boolean isTensor() { return type instanceof TensorType; }

  /** The element type, or null when this is not a tensor. */
  public DType dtype() { return type instanceof TensorType t ? t.dtype() : null; }

  /**
   * The dims as text: a size ({@code "224"}), a symbol bound per call ({@code "N"}) or {@code "?"}; null when not a
   * ranked tensor.
   */
  public List<String> dims() {
    if (!(type instanceof TensorType t) || !t.shape().isRanked()) return null;
    List<String> out = new ArrayList<>();
    for (Dim d : t.shape().dims()) out.add(d.toString());
    return List.copyOf(out);
  }

  /** {@code x: f32[N,4]}. */
  @Override public String toString() { return name + ": " + type.text(); }
}
