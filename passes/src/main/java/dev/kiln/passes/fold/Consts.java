package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;

/** Reading what constants hold: literal attributes directly, weights through the table. */
public final class Consts {
  private Consts() {}

  /** The {@code const} node defining {@code v}, or null. */
  public static Node constNode(Value v) {
    Node d = v.definingNode();
    return d != null && d.op() == ControlOps.CONST ? d : null;
  }

  /** The literal {@code value} attribute of the const defining {@code v}, or null (not a literal const). */
  public static Attr literal(Value v) {
    Node d = constNode(v);
    return d == null ? null : d.attrs().get("value");
  }

  /** The weight name of the const defining {@code v}, or null. */
  public static String weightName(Value v) {
    Node d = constNode(v);
    return d != null && d.attrs().get("name") instanceof Attr.Str s ? s.value() : null;
  }

  /** True when {@code v} is a literal or a weight present in {@code weights}: its value is known at compile time. */
  public static boolean isKnown(Value v, Map<String, Tensor> weights) {
    if (literal(v) != null) return true;
    String w = weightName(v);
    return w != null && weights.containsKey(w);
  }

  /** The int a literal holds ({@code const {value=3} : int}), or null. */
  public static Long knownInt(Value v) {
    return literal(v) instanceof Attr.Int i && v.type() == dev.kiln.ir.PrimType.INT ? i.value() : null;
  }

  /** The bool a literal holds, or null. */
  public static Boolean knownBool(Value v) {
    return literal(v) instanceof Attr.Bool b && v.type() == dev.kiln.ir.PrimType.BOOL ? b.value() : null;
  }

  /**
   * True when {@code v} is a literal (a number or a tensor filled from a list) every element of which equals
   * {@code x}; an empty list does not count.
   */
  public static boolean isSplat(Value v, double x) {
    return switch (literal(v)) {
      case Attr.Int i -> i.value() == x;
      case Attr.Float f -> f.value() == x;
      case Attr.Bool b -> (b.value() ? 1 : 0) == x;
      case Attr.Ints l -> !l.values().isEmpty() && l.values().stream().allMatch(e -> e == x);
      case Attr.Floats l -> !l.values().isEmpty() && l.values().stream().allMatch(e -> e == x);
      case null, default -> false;
    };
  }

  /**
   * The value of a known const as a tensor, or null: a weight from the table, or a literal tensor evaluated the way
   * the interpreter does.
   */
  public static Tensor tensor(Value v, Map<String, Tensor> weights) {
    String w = weightName(v);
    if (w != null) return weights.get(w);
    if (literal(v) == null || !(v.type() instanceof dev.kiln.ir.TensorType)) return null;
    List<Object> r = ConstantFolder.evaluate(constNode(v), weights);
    return r != null && r.get(0) instanceof Tensor t ? t : null;
  }
}
