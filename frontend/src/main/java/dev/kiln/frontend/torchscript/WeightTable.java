package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights an imported graph refers to by name. Each stored tensor becomes one {@code const {name=...}} node at
 * the end of the graph body as it is when the weight is first reached: nested blocks are built detached and
 * attached after, so that point dominates every later use. The same tensor reached twice (tied weights, or a
 * second view of one storage with the same offset, sizes and strides) gives one weight.
 */
final class WeightTable {
  private final Builder body;
  private final Map<String, Tensor> weights = new LinkedHashMap<>();
  private final Map<String, Value> byView = new HashMap<>();

  /** @param body inserts at the end of the graph body */
  WeightTable(Builder body) { this.body = body; }

  /** The weight value for {@code t}, named {@code name} unless the same view already has a name. */
  Value weight(StoredTensor t, String name) {
    String key = t.storage().entryName() + "@" + t.storageOffset() + Arrays.toString(t.sizes())
        + Arrays.toString(t.strides()) + t.dtype();
    Value v = byView.get(key);
    if (v != null) return v;
    String unique = name;
    for (int i = 1; weights.containsKey(unique); i++) unique = name + "_" + i;
    weights.put(unique, t.toTensor());
    v = body.weight(unique, typeOf(t));
    v.setName(sanitize(unique));
    byView.put(key, v);
    return v;
  }

  /** The IR type of a stored tensor: its dtype and sizes, with quantization parameters for q* dtypes. */
  static TensorType typeOf(StoredTensor t) {
    return new TensorType(t.dtype(), Shape.of(t.sizes()), Layout.CONTIGUOUS, t.dtype().isQuantized() ? t.quant() : null);
  }

  /** The weights by name, in the order they were first used. */
  Map<String, Tensor> weights() { return weights; }

  /** Value names take letters, digits, '_' and '.'. */
  private static String sanitize(String name) { return name.replaceAll("[^A-Za-z0-9_.]", "_"); }

}
