package dev.kiln.cli;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code --input} files and checks them against the graph's parameters before anything runs, so that a
 * mistake is reported with the input's name and file rather than deep inside a kernel. A symbolic dim such as
 * {@code N} must have the same size in every input.
 */
final class InputBinder {
  private InputBinder() {}

  static String paramName(Value p, int i) { return "%" + (p.name() != null ? p.name() : Integer.toString(i)); }

  static String signature(Graph g) {
    List<String> ps = new ArrayList<>();
    for (int i = 0; i < g.params().size(); i++) ps.add(paramName(g.params().get(i), i) + ": " + g.params().get(i).type().text());
    return "(" + String.join(", ", ps) + ")";
  }

  /** @return one run-time value per graph parameter, in order */
  static List<Object> bind(Graph g, List<Path> files) throws IOException {
    List<Value> params = g.params();
    if (files.size() != params.size())
      throw new CliException("graph @" + g.name() + " takes " + params.size() + " input" + (params.size() == 1 ? "" : "s")
          + " " + signature(g) + ", got " + files.size() + " --input");
    Map<String, Long> symbols = new HashMap<>();
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      String what = "input " + i + " (" + paramName(params.get(i), i) + ") from " + files.get(i);
      Tensor t = Npy.read(files.get(i));
      values.add(convert(t, params.get(i).type(), what, symbols));
    }
    return values;
  }

  private static Object convert(Tensor t, Type want, String what, Map<String, Long> symbols) {
    String got = t.dtype().text() + Shape.sizesToString(t.shape());
    if (want instanceof OptionalType o) want = o.element();
    if (want instanceof TensorType tt) {
      if (tt.dtype() != t.dtype()) throw new CliException(what + ": expected " + tt.text() + ", got " + got + " (dtype differs)");
      checkShape(tt, t.shape(), what, got, symbols);
      return t;
    }
    if (want instanceof PrimType p && (p == PrimType.INT || p == PrimType.FLOAT || p == PrimType.BOOL)) {
      if (t.numel() != 1) throw new CliException(what + ": expected one " + p.text() + ", got " + got);
      return switch (p) { // boxed per arm: a bare long/double mix would widen to double
        case INT -> Long.valueOf(t.toLongArray()[0]);
        case FLOAT -> Double.valueOf(t.toDoubleArray()[0]);
        default -> Boolean.valueOf(t.toLongArray()[0] != 0);
      };
    }
    throw new CliException(what + ": parameter type " + want.text() + " cannot be read from .npy (only tensors and numbers)");
  }

  private static void checkShape(TensorType tt, long[] shape, String what, String got, Map<String, Long> symbols) {
    if (!tt.shape().isRanked()) return;
    List<Dim> dims = tt.shape().dims();
    if (dims.size() != shape.length)
      throw new CliException(what + ": expected " + tt.text() + ", got " + got + " (rank " + shape.length + ", expected " + dims.size() + ")");
    for (int d = 0; d < shape.length; d++) {
      Dim dim = dims.get(d);
      if (dim.isStatic() && dim.size() != shape[d])
        throw new CliException(what + ": expected " + tt.text() + ", got " + got + " (dim " + d + " is " + shape[d] + ", expected " + dim.size() + ")");
      if (dim.isSymbolic()) {
        Long prev = symbols.putIfAbsent(dim.symbol(), shape[d]);
        if (prev != null && prev != shape[d])
          throw new CliException(what + ": expected " + tt.text() + ", got " + got + " (" + dim.symbol() + " is " + prev
              + " in an earlier input, here " + shape[d] + ")");
      }
    }
  }
}
