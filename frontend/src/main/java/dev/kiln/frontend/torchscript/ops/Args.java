package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading builtin arguments the way TorchScript passes them: positional first, then by keyword, then the schema
 * default; and telling tensors, run-time scalars and values known while lowering apart.
 */
final class Args {
  private Args() {}

  /** Positional argument {@code i}, else keyword {@code name}, else {@code dflt} (which may be null for None). */
  static Object get(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
    if (i < args.size()) return args.get(i);
    if (kwargs.containsKey(name)) return kwargs.get(name);
    return dflt;
  }

  /** Positional argument {@code i} or {@code dflt} when absent. */
  static Object get(List<Object> args, int i, Object dflt) { return i < args.size() ? args.get(i) : dflt; }

  /** Fails naming the op's arity when fewer than {@code n} positional arguments were given. */
  static void need(LoweringContext cx, List<Object> args, int n, String signature) {
    if (args.size() < n) throw cx.fail("expected " + signature + ", got " + args.size() + " argument(s)");
  }

  static boolean isTensor(Object o) { return o instanceof Value v && v.type() instanceof TensorType; }

  /** A run-time int, float or bool (an IR value of scalar type). */
  static boolean isScalarValue(Object o) {
    return o instanceof Value v && (v.type() == PrimType.INT || v.type() == PrimType.FLOAT || v.type() == PrimType.BOOL);
  }

  /** A number known while lowering (Long, Double or Boolean), else null. */
  static Number knownNumber(Object o) {
    return switch (o) {
      case null -> null;
      case Long l -> l;
      case Double d -> d;
      case Integer i -> (long) i;
      case Boolean b -> b ? 1L : 0L;
      default -> null;
    };
  }

  /**
   * The number held by a zero-dim literal: a known number, or an IR value defined by {@code const {value=...}}
   * (of scalar or zero-dim tensor type) or by {@code prim.to_tensor} of one. Lets tensor arithmetic on traced
   * sizes ({@code NumToTensor}, {@code CONSTANTS.cN}) fold; null when the value is only known at run time.
   */
  static Number literalNumber(Object o) {
    Number n = knownNumber(o);
    if (n != null || !(o instanceof Value v)) return n;
    if (v.type() instanceof TensorType t && (!t.shape().isRanked() || t.rank() != 0)) return null;
    Node def = v.definingNode();
    if (def == null) return null;
    if (def.op().name().equals("prim.to_tensor")) return literalNumber(def.operand(0));
    if (!def.op().name().equals("const") || !def.hasAttr("value")) return null;
    return switch (def.attr("value")) {
      case Attr.Int i -> i.value();
      case Attr.Float f -> f.value();
      case Attr.Bool b -> b.value() ? 1L : 0L;
      case Attr.Ints is when is.values().size() == 1 -> is.values().get(0);
      case Attr.Floats fs when fs.values().size() == 1 -> fs.values().get(0);
      default -> null;
    };
  }

  /** True when the literal holding {@code n} is integral (as a Python int or an integer tensor). */
  static boolean integral(Number n) { return n instanceof Long; }

  /** The value as an IR operand for an elementwise op: tensors stay, numbers become scalar values. */
  static Value operand(LoweringContext cx, Object o, String what) {
    if (isTensor(o)) return (Value) o;
    return cx.scalar(o, what);
  }

  /** A list argument as a Java list; a tuple is accepted too. Fails naming {@code what} otherwise. */
  @SuppressWarnings("unchecked")
  static List<Object> list(LoweringContext cx, Object o, String what) {
    if (o instanceof List<?> l) return (List<Object>) l;
    if (o instanceof dev.kiln.frontend.archive.PyTuple t) return t.items();
    throw cx.fail(what + " must be a list known while lowering, got " + describe(o));
  }

  /** Tensors of a list argument (e.g. torch.cat's inputs), in order. */
  static List<Value> tensors(LoweringContext cx, Object o, String what) {
    List<Value> out = new ArrayList<>();
    List<Object> items = list(cx, o, what);
    for (int i = 0; i < items.size(); i++) out.add(cx.tensor(items.get(i), what + "[" + i + "]"));
    return out;
  }

  /** A dim index normalized against {@code rank} (negative counts from the end). */
  static int dim(LoweringContext cx, long d, int rank, String what) {
    int r = Math.max(rank, 1);
    if (d < -r || d >= r) throw cx.fail(what + " " + d + " is out of range for rank " + rank);
    return (int) (d < 0 ? d + r : d);
  }

  /** The rank of a tensor argument; fails when it is not known while lowering. */
  static int rank(LoweringContext cx, Value t, String what) {
    TensorType tt = cx.typeOf(t);
    if (!tt.shape().isRanked()) throw cx.fail(what + " must have a known rank, got " + tt.text());
    return tt.rank();
  }

  /** A float attribute that stays an int when the argument is an int (prints {@code alpha=1}, not 1.0). */
  static Attr number(LoweringContext cx, Object o, String what) {
    if (o instanceof Long || o instanceof Integer || o instanceof Boolean) return Attr.of(cx.constInt(o, what));
    return Attr.of(cx.constFloat(o, what));
  }

  /** Short description of a lowering-time value for error messages. */
  static String describe(Object o) {
    return switch (o) {
      case null -> "None";
      case Value v -> "%" + v.displayName() + " : " + v.type().text();
      case String s -> "'" + s + "'";
      case List<?> l -> "a list of " + l.size();
      default -> o.getClass().getSimpleName() + " " + o;
    };
  }
}
