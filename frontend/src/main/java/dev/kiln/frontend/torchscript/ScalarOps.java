package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Arithmetic, comparison and logic on numbers, bools, strings and lists: folded in Java when both sides are known,
 * {@code prim.*} ops when one is a run-time scalar. TorchScript prints int arithmetic as {@code torch.add(i, 1)},
 * so the same names serve the archive code and the Python operators of user scripts; calls with a tensor operand
 * go to the op table instead.
 */
final class ScalarOps {
  private final Lowering cx;

  ScalarOps(Lowering cx) { this.cx = cx; }

  /** Operation names (the {@code torch.*} suffix) this class handles when no operand is a tensor. */
  static boolean handles(String op) {
    return switch (op) {
      case "add", "sub", "mul", "div", "floordiv", "floor_divide", "remainder", "fmod", "pow", "min", "max", "neg",
          "eq", "ne", "lt", "le", "gt", "ge", "__and__", "__or__", "__xor__", "__not__", "abs" -> true;
      default -> false;
    };
  }

  /** True if some argument is a tensor (an IR value of tensor type); those calls belong to the op table. */
  static boolean anyTensor(List<Object> args) {
    for (Object a : args) if (a instanceof Value v && v.type() instanceof TensorType) return true;
    return false;
  }

  /** Applies {@code op} to scalar (or list/string) arguments. */
  Object apply(String op, List<Object> args) {
    if (op.equals("neg") || op.equals("__not__") || op.equals("abs")) {
      if (args.size() != 1) throw cx.error(op + " takes 1 argument, got " + args.size());
      return unary(op, args.getFirst());
    }
    if (args.size() != 2) throw cx.error("torch." + op + " on scalars takes 2 arguments, got " + args.size());
    return binary(op, args.get(0), args.get(1));
  }

  Object unary(String op, Object a) {
    if (a instanceof Value v) {
      return switch (op) {
        case "neg" -> cx.emit(PrimOps.NEG, Map.of(), v);
        case "__not__" -> cx.emit(PrimOps.NOT, Map.of(), truth(v));
        default -> cx.emit(PrimOps.MAX, Map.of(), v, cx.emit(PrimOps.NEG, Map.of(), v));
      };
    }
    return switch (op) {
      case "__not__" -> !truthy(a);
      case "neg" -> a instanceof Double d ? (Object) (-d) : (Object) (-asLong(a));
      default -> a instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(asLong(a));
    };
  }

  Object binary(String op, Object a, Object b) {
    if (a instanceof Value || b instanceof Value) return emit(op, a, b);
    if (op.equals("eq") || op.equals("ne")) {
      boolean eq = isNumber(a) && isNumber(b) ? compare(a, b) == 0 : Objects.equals(a, b);
      return op.equals("eq") == eq;
    }
    if (op.equals("add") && a instanceof List<?> x && b instanceof List<?> y) {
      List<Object> out = new ArrayList<>(x);
      out.addAll(y);
      return out;
    }
    if (op.equals("add") && a instanceof String x && b instanceof String y) return x + y;
    if (!isNumber(a) || !isNumber(b))
      throw cx.error("torch." + op + " is not defined on " + Callables.describe(a) + " and " + Callables.describe(b));
    boolean ints = !(a instanceof Double) && !(b instanceof Double);
    if (a instanceof Boolean x && b instanceof Boolean y) {
      switch (op) {
        case "__and__" -> { return x && y; }
        case "__or__" -> { return x || y; }
        case "__xor__" -> { return x ^ y; }
        default -> { }
      }
    }
    return switch (op) {
      case "lt" -> compare(a, b) < 0;
      case "le" -> compare(a, b) <= 0;
      case "gt" -> compare(a, b) > 0;
      case "ge" -> compare(a, b) >= 0;
      case "__and__" -> ints ? (Object) (asLong(a) & asLong(b)) : bad(op);
      case "__or__" -> ints ? (Object) (asLong(a) | asLong(b)) : bad(op);
      case "__xor__" -> ints ? (Object) (asLong(a) ^ asLong(b)) : bad(op);
      case "add" -> ints ? (Object) (asLong(a) + asLong(b)) : (Object) (asDouble(a) + asDouble(b));
      case "sub" -> ints ? (Object) (asLong(a) - asLong(b)) : (Object) (asDouble(a) - asDouble(b));
      case "mul" -> ints ? (Object) (asLong(a) * asLong(b)) : (Object) (asDouble(a) * asDouble(b));
      case "div" -> asDouble(a) / asDouble(b);
      case "floordiv", "floor_divide" -> {
        if (ints && asLong(b) == 0) throw cx.error("integer division by zero");
        yield ints ? (Object) Math.floorDiv(asLong(a), asLong(b)) : (Object) Math.floor(asDouble(a) / asDouble(b));
      }
      case "remainder", "fmod" -> {
        if (ints && asLong(b) == 0) throw cx.error("integer modulo by zero");
        // Python's % takes the sign of the divisor.
        yield ints ? (Object) Math.floorMod(asLong(a), asLong(b))
            : (Object) (asDouble(a) - Math.floor(asDouble(a) / asDouble(b)) * asDouble(b));
      }
      case "pow" -> ints && asLong(b) >= 0 ? (Object) ipow(asLong(a), asLong(b)) : (Object) Math.pow(asDouble(a), asDouble(b));
      case "min" -> ints ? (Object) Math.min(asLong(a), asLong(b)) : (Object) Math.min(asDouble(a), asDouble(b));
      case "max" -> ints ? (Object) Math.max(asLong(a), asLong(b)) : (Object) Math.max(asDouble(a), asDouble(b));
      default -> bad(op);
    };
  }

  private Object bad(String op) { throw cx.error("torch." + op + " is not supported on these scalars"); }

  private Value emit(String op, Object a, Object b) {
    if (op.equals("__and__") || op.equals("__or__")) {
      OpDef d = op.equals("__and__") ? PrimOps.AND : PrimOps.OR;
      return cx.emit(d, Map.of(), truth(cx.scalar(a, "left operand")), truth(cx.scalar(b, "right operand")));
    }
    OpDef d = switch (op) {
      case "add" -> PrimOps.ADD;
      case "sub" -> PrimOps.SUB;
      case "mul" -> PrimOps.MUL;
      case "div" -> PrimOps.DIV;
      case "floordiv", "floor_divide" -> PrimOps.FLOORDIV;
      case "remainder", "fmod" -> PrimOps.MOD;
      case "pow" -> PrimOps.POW;
      case "min" -> PrimOps.MIN;
      case "max" -> PrimOps.MAX;
      case "eq" -> PrimOps.EQ;
      case "ne" -> PrimOps.NE;
      case "lt" -> PrimOps.LT;
      case "le" -> PrimOps.LE;
      case "gt" -> PrimOps.GT;
      case "ge" -> PrimOps.GE;
      default -> throw cx.error("torch." + op + " is not supported on run-time scalars");
    };
    return cx.emit(d, Map.of(), cx.scalar(a, "left operand"), cx.scalar(b, "right operand"));
  }

  /** A run-time value as a bool: bools as they are, numbers compared with zero, tensors through prim.bool. */
  Value truth(Value v) {
    if (v.type() == PrimType.BOOL) return v;
    if (v.type() instanceof TensorType || v.type() == PrimType.INT || v.type() == PrimType.FLOAT)
      return cx.emit(PrimOps.BOOL_, Map.of(), v);
    throw cx.error("expected a bool, got " + Callables.describe(v));
  }

  /** Python truthiness of a known value. */
  boolean truthy(Object a) {
    return switch (a) {
      case null -> false;
      case Boolean b -> b;
      case Long l -> l != 0;
      case Double d -> d != 0;
      case String s -> !s.isEmpty();
      case List<?> l -> !l.isEmpty();
      case PyTuple t -> t.size() > 0;
      default -> true;
    };
  }

  static boolean isNumber(Object a) { return a instanceof Long || a instanceof Double || a instanceof Boolean; }

  private static int compare(Object a, Object b) {
    if (a instanceof Double || b instanceof Double) return Double.compare(asDouble(a), asDouble(b));
    return Long.compare(asLong(a), asLong(b));
  }

  static long asLong(Object a) { return a instanceof Boolean x ? (x ? 1 : 0) : ((Number) a).longValue(); }

  static double asDouble(Object a) { return a instanceof Boolean x ? (x ? 1 : 0) : ((Number) a).doubleValue(); }

  private static long ipow(long base, long exp) {
    long r = 1;
    for (long i = 0; i < exp; i++) r *= base;
    return r;
  }
}
