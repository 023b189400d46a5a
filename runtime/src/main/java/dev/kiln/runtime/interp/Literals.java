package dev.kiln.runtime.interp;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Evaluates {@code const} nodes: named weights from the weight table, or literal values of the written type. */
final class Literals {
  private Literals() {}

  static Object evaluate(Node n, Map<String, Tensor> weights) {
    Type type = n.result().type();
    if (!n.attrIsNone("name")) {
      String name = n.attrStr("name");
      Tensor w = weights.get(name);
      if (w == null) throw fail(n, "weight \"" + name + "\" is not in the weight table (" + weights.size() + " weights)");
      String m = Values.mismatch(type, w, null);
      if (m != null) throw fail(n, "weight \"" + name + "\": " + m);
      return w;
    }
    Attr value = n.attrs().get("value");
    if (value == null) throw fail(n, "needs a name or a value attribute");
    return literal(n, type, value);
  }

  private static Object literal(Node n, Type type, Attr value) {
    if (type instanceof OptionalType o) return value instanceof Attr.None ? null : literal(n, o.element(), value);
    if (type instanceof TensorType tt) return tensor(n, tt, value);
    if (type instanceof ListType lt) {
      List<Object> out = new ArrayList<>();
      switch (value) {
        case Attr.Ints l -> l.values().forEach(v -> out.add(scalar(n, lt.element(), new Attr.Int(v))));
        case Attr.Floats l -> l.values().forEach(v -> out.add(scalar(n, lt.element(), new Attr.Float(v))));
        default -> throw fail(n, "value " + value.text() + " is not a list for " + type.text());
      }
      return java.util.Collections.unmodifiableList(out);
    }
    return scalar(n, type, value);
  }

  private static Object scalar(Node n, Type type, Attr value) {
    Object v = switch (value) {
      case Attr.Int i when type == PrimType.INT -> i.value();
      case Attr.Int i when type == PrimType.FLOAT -> (double) i.value();
      case Attr.Int i when type == PrimType.BOOL -> i.value() != 0;
      case Attr.Float f when type == PrimType.FLOAT -> f.value();
      case Attr.Bool b when type == PrimType.BOOL -> b.value();
      case Attr.Str s when type == PrimType.STR -> s.value();
      case Attr.None x when type == PrimType.NONE -> null;
      default -> NOT_A_SCALAR;
    };
    if (v == NOT_A_SCALAR) throw fail(n, "value " + value.text() + " does not fit type " + type.text());
    return v;
  }

  private static final Object NOT_A_SCALAR = new Object();

  /** A flat list fills the tensor in row-major order; a single number fills a one-element tensor. */
  private static Tensor tensor(Node n, TensorType tt, Attr value) {
    if (!tt.shape().isStatic()) throw fail(n, "a literal tensor needs a static shape, got " + tt.text());
    long[] shape = tt.shape().sizes();
    DType d = tt.dtype();
    double[] vals = switch (value) {
      case Attr.Ints l -> l.values().stream().mapToDouble(Long::doubleValue).toArray();
      case Attr.Floats l -> l.toArray();
      case Attr.Int i -> new double[] {i.value()};
      case Attr.Float f -> new double[] {f.value()};
      case Attr.Bool b -> new double[] {b.value() ? 1 : 0};
      default -> throw fail(n, "value " + value.text() + " cannot fill " + tt.text());
    };
    long numel = Tensor.numel(shape);
    if (vals.length != numel)
      throw fail(n, value.text().length() > 60 ? vals.length + " values" : "value " + value.text() + " has " + vals.length + " values",
          numel, tt);
    if (!d.isFloat() && value instanceof Attr.Ints l)
      return Tensor.ofLongs(d, l.toArray(), shape);
    return Tensor.ofDoubles(d, vals, shape);
  }

  private static KilnRuntimeException fail(Node n, String what, long numel, TensorType tt) {
    return fail(n, what + ", expected " + numel + " for " + tt.text());
  }

  private static KilnRuntimeException fail(Node n, String what) {
    return new KilnRuntimeException(n.describe() + ": " + what);
  }
}
