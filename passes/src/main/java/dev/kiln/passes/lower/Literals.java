package dev.kiln.passes.lower;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;

/** Reads the numbers of a literal {@code const {value=...}} node. */
final class Literals {
  private Literals() {}

  /**
   * @return the literal's numbers in row-major order (bools as 0/1; one number for a scalar or a tensor filled with
   *     one value), or null when the literal is not numeric
   */
  static double[] values(Node constNode, Value v) {
    Attr a = constNode.attr("value");
    double[] out = switch (a) {
      case Attr.Int i -> new double[] {i.value()};
      case Attr.Float f -> new double[] {f.value()};
      case Attr.Bool b -> new double[] {b.value() ? 1 : 0};
      case Attr.Ints l -> l.values().stream().mapToDouble(Long::doubleValue).toArray();
      case Attr.Floats l -> l.values().stream().mapToDouble(Double::doubleValue).toArray();
      case null, default -> null;
    };
    if (out == null) return null;
    if (v.type() instanceof TensorType t && t.shape().isStatic()) {
      long n = t.shape().numel();
      if (out.length != n && out.length != 1) return null;
    }
    return out;
  }
}
