package dev.kiln.runtime.interp;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.List;
import java.util.Map;

/** Checks run-time values against IR types and describes them for messages. */
final class Values {
  private Values() {}

  /** A short description of a run-time value: {@code f32[2,3]}, {@code int 3}, {@code none}, {@code list of 2}. */
  static String describe(Object v) {
    return switch (v) {
      case null -> "none";
      case Tensor t -> t.dtype().text() + Tensor.dims(t.shape());
      case Long l -> "int " + l;
      case Double d -> "float " + d;
      case Boolean b -> "bool " + b;
      case String s -> "str \"" + s + "\"";
      case List<?> l -> "list of " + l.size();
      case Tuple t -> "tuple of " + t.size();
      default -> v.getClass().getSimpleName();
    };
  }

  /**
   * What is wrong with {@code v} as a value of {@code type}, or null if it fits. {@code symbols} binds symbolic dims
   * (first use binds, later uses must agree); when null, symbolic and unknown dims match any size.
   */
  static String mismatch(Type type, Object v, Map<String, Long> symbols) {
    return switch (type) {
      case TensorType tt -> v instanceof Tensor t ? tensorMismatch(tt, t, symbols) : "expected " + tt.text() + ", got " + describe(v);
      case PrimType p -> primMismatch(p, v);
      case OptionalType o -> v == null ? null : mismatch(o.element(), v, symbols);
      case ListType l -> {
        if (!(v instanceof List<?> list)) yield "expected " + l.text() + ", got " + describe(v);
        for (int i = 0; i < list.size(); i++) {
          String m = mismatch(l.element(), list.get(i), symbols);
          if (m != null) yield "element " + i + ": " + m;
        }
        yield null;
      }
      case TupleType tt -> {
        if (!(v instanceof Tuple t) || t.size() != tt.elements().size()) yield "expected " + tt.text() + ", got " + describe(v);
        for (int i = 0; i < t.size(); i++) {
          String m = mismatch(tt.elements().get(i), t.get(i), symbols);
          if (m != null) yield "element " + i + ": " + m;
        }
        yield null;
      }
    };
  }

  private static String primMismatch(PrimType p, Object v) {
    boolean ok = switch (p) {
      case INT -> v instanceof Long;
      case FLOAT -> v instanceof Double;
      case BOOL -> v instanceof Boolean;
      case STR -> v instanceof String;
      case NONE -> v == null;
    };
    return ok ? null : "expected " + p.text() + ", got " + describe(v);
  }

  private static String tensorMismatch(TensorType tt, Tensor t, Map<String, Long> symbols) {
    if (t.dtype() != tt.dtype()) return want(tt, t) + " (dtype " + t.dtype() + ", expected " + tt.dtype() + ")";
    Shape s = tt.shape();
    if (!s.isRanked()) return null;
    if (s.rank() != t.rank()) return want(tt, t) + " (rank " + t.rank() + ", expected " + s.rank() + ")";
    for (int i = 0; i < s.rank(); i++) {
      Dim d = s.dim(i);
      long got = t.size(i);
      if (d.isStatic() && d.size() != got) return want(tt, t) + " (dim " + i + " is " + got + ", expected " + d.size() + ")";
      if (d.isSymbolic() && symbols != null) {
        Long bound = symbols.putIfAbsent(d.symbol(), got);
        if (bound != null && bound != got)
          return want(tt, t) + " (dim " + i + " is " + got + " but " + d.symbol() + " is already " + bound + ")";
      }
    }
    return null;
  }

  /** The head of a mismatch message, built only when there is one (a quantized type's text lists its scales). */
  private static String want(TensorType tt, Tensor t) { return "expected " + tt.text() + ", got " + describe(t); }

  /** Converts boxed Java numbers a caller may pass (Integer, Float ...) to the run-time kinds Long and Double. */
  static Object normalize(Object v, Type type) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
    if (v instanceof Float f) return f.doubleValue();
    if (type == PrimType.FLOAT && v instanceof Long l) return l.doubleValue();
    return v;
  }
}
