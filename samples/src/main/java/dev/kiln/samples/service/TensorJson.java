package dev.kiln.samples.service;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensors as JSON for the service: {@code {"shape": [2, 4], "data": [0.5, ...]}}, data flat in row-major order. The
 * dtype comes from the model's signature, so clients send plain numbers.
 */
final class TensorJson {
  private TensorJson() {}

  /**
   * @param json the parsed {@code {"shape", "data"}} object of one input
   * @throws IllegalArgumentException naming the input when the object is malformed
   */
  static Tensor read(TensorSpec spec, Object json) {
    String what = "input \"" + spec.name() + "\"";
    if (!(json instanceof Map<?, ?> m)) throw new IllegalArgumentException(what + ": expected {\"shape\": [...], \"data\": [...]}");
    if (!(m.get("shape") instanceof List<?> shapeList)) throw new IllegalArgumentException(what + ": \"shape\" must be an array of sizes");
    if (!(m.get("data") instanceof List<?> data)) throw new IllegalArgumentException(what + ": \"data\" must be an array of numbers");
    long[] shape = new long[shapeList.size()];
    for (int i = 0; i < shape.length; i++) {
      if (!(shapeList.get(i) instanceof Long s) || s < 0) throw new IllegalArgumentException(what + ": shape " + shapeList + " must hold sizes >= 0");
      shape[i] = s;
    }
    if (Tensor.numel(shape) != data.size())
      throw new IllegalArgumentException(what + ": shape " + Tensor.dims(shape) + " needs " + Tensor.numel(shape) + " values, \"data\" has " + data.size());
    double[] values = new double[data.size()];
    for (int i = 0; i < values.length; i++) {
      if (!(data.get(i) instanceof Number n)) throw new IllegalArgumentException(what + ": data[" + i + "] is not a number");
      values[i] = n.doubleValue();
    }
    DType dtype = spec.dtype() != null ? spec.dtype() : DType.F32;
    return Tensor.ofDoubles(dtype, values, shape);
  }

  /** {@code {"name", "dtype", "shape", "data"}}; floats are written in their shortest exact form. */
  static Map<String, Object> write(String name, Tensor t) {
    List<Object> shape = new ArrayList<>();
    for (long s : t.shape()) shape.add(s);
    List<Object> data = new ArrayList<>();
    if (t.dtype() == DType.F32) for (float f : t.toFloatArray()) data.add(Double.parseDouble(Float.toString(f)));
    else if (t.dtype().isFloat()) for (double d : t.toDoubleArray()) data.add(d);
    else for (long l : t.toLongArray()) data.add(l);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", name);
    out.put("dtype", t.dtype().text());
    out.put("shape", shape);
    out.put("data", data);
    return out;
  }

  /** A signature entry: {@code {"name": "x", "type": "f32[N,4]"}}. */
  static Map<String, Object> spec(TensorSpec s) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", s.name());
    out.put("type", s.type().text());
    return out;
  }
}
