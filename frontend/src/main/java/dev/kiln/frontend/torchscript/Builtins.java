package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.ListType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python builtins and TorchScript prims the engine lowers itself: conversions ({@code int}, {@code float},
 * {@code bool}, {@code str}), {@code len}, {@code range}, {@code getattr}, identity tests, {@code RaiseException},
 * string formatting, and list methods on lists known while lowering. A few prims the op table also has
 * ({@code torch.len}, {@code torch.dim} ...) are kept as a fallback for names the table lacks.
 */
final class Builtins {
  static final Object NONE_HANDLED = new Object();

  private static final Set<String> NAMES = Set.of("int", "float", "bool", "str", "len", "range", "getattr", "hasattr",
      "print", "min", "max", "abs", "list", "tuple", "torch.__is__", "torch.__isnot__", "torch.__not__",
      "ops.prim.RaiseException", "torch.format", "torch.warn", "math.inf", "torch.jit.annotate");

  private final Lowering cx;

  Builtins(Lowering cx) { this.cx = cx; }

  boolean handles(String name) { return NAMES.contains(name); }

  Object call(String name, List<Object> args, Map<String, Object> kwargs) {
    return switch (name) {
      case "int" -> convert(one(name, args), PrimType.INT);
      case "float" -> convert(one(name, args), PrimType.FLOAT);
      case "bool" -> convert(one(name, args), PrimType.BOOL);
      case "str" -> str(one(name, args));
      case "len" -> len(one(name, args));
      case "range" -> range(args);
      case "getattr" -> {
        if (args.size() < 2 || !(args.get(1) instanceof String attr)) throw cx.error("getattr needs an object and a name");
        yield cx.exprs.attribute(args.get(0), attr);
      }
      case "hasattr" -> args.get(0) instanceof TorchObject o && args.get(1) instanceof String s && o.has(s);
      case "print", "torch.warn" -> null; // no effect on the computed values
      case "min", "max", "abs" -> args.size() == 1 && args.getFirst() instanceof List<?> l
          ? fold(name, new ArrayList<Object>(l)) : cx.scalars.apply(name, args);
      case "list" -> new ArrayList<Object>(known(one(name, args), "list()"));
      case "tuple" -> new PyTuple(new ArrayList<Object>(known(one(name, args), "tuple()")));
      case "torch.__is__" -> cx.exprs.is(args.get(0), args.get(1));
      case "torch.__isnot__" -> cx.exprs.not(cx.exprs.is(args.get(0), args.get(1)));
      case "torch.__not__" -> cx.exprs.not(one(name, args));
      case "ops.prim.RaiseException" -> raise(args.isEmpty() ? null : args.get(0), args.size() > 1 ? args.get(1) : null);
      case "torch.format" -> {
        if (args.isEmpty() || !(args.getFirst() instanceof String fmt)) throw cx.error("torch.format needs a format string");
        yield format(fmt, args.subList(1, args.size()));
      }
      case "torch.jit.annotate" -> args.get(1);
      default -> throw cx.error("unsupported builtin '" + name + "'");
    };
  }

  private Object one(String name, List<Object> args) {
    if (args.size() != 1) throw cx.error(name + "() takes 1 argument, got " + args.size());
    return args.getFirst();
  }

  private List<?> known(Object v, String what) {
    List<?> items = CallLowering.items(v);
    if (items == null) throw cx.error(what + " needs a list known while lowering, got " + Callables.describe(v));
    return items;
  }

  private Object fold(String name, List<Object> items) {
    if (items.isEmpty()) throw cx.error(name + "() of an empty list");
    Object acc = items.getFirst();
    for (int i = 1; i < items.size(); i++) acc = cx.scalars.binary(name, acc, items.get(i));
    return acc;
  }

  /** int(), float(), bool() of known values in Java; of run-time ones with prim.int/float/bool. */
  private Object convert(Object v, PrimType to) {
    if (v instanceof Value val) v = zeroDimSource(val);
    if (v instanceof Value val) {
      if (val.type() == to) return val;
      if (to == PrimType.BOOL) return cx.scalars.truth(val);
      return cx.emit(to == PrimType.INT ? PrimOps.INT_ : PrimOps.FLOAT_, Map.of(), val);
    }
    return switch (to) {
      case INT -> v instanceof Double d ? (Object) (long) (double) d : v instanceof String s ? (Object) Long.parseLong(s.strip())
          : (Object) ScalarOps.asLong(requireNumber(v));
      case FLOAT -> v instanceof String s ? (Object) Double.parseDouble(s.strip()) : (Object) ScalarOps.asDouble(requireNumber(v));
      default -> cx.scalars.truthy(v);
    };
  }

  /**
   * What a zero-dim tensor was made from, when that is simpler: the number of a literal, or the scalar given to
   * {@code prim.to_tensor} (traced archives wrap every size in NumToTensor and read it back with int()).
   */
  static Object zeroDimSource(Value v) {
    if (!(v.type() instanceof TensorType t) || !t.shape().isRanked() || t.rank() != 0 || v.definingNode() == null) return v;
    dev.kiln.ir.Node def = v.definingNode();
    if (def.op() == PrimOps.TO_TENSOR) return def.operand(0);
    if (def.op() != ControlOps.CONST || !def.hasAttr("value")) return v;
    boolean isFloat = t.dtype().isFloat();
    return switch (def.attr("value")) {
      case Attr.Int i -> isFloat ? (Object) (double) i.value() : (Object) i.value();
      case Attr.Float f -> isFloat ? (Object) f.value() : v;
      case Attr.Bool b -> b.value();
      default -> v;
    };
  }

  private Object requireNumber(Object v) {
    if (!ScalarOps.isNumber(v)) throw cx.error("expected a number, got " + Callables.describe(v));
    return v;
  }

  private Object str(Object v) {
    return switch (v) {
      case Value _ -> "{}";
      case null -> "None";
      case Boolean b -> b ? "True" : "False";
      case List<?> l -> l.stream().map(this::str).map(String::valueOf).collect(java.util.stream.Collectors.joining(", ", "[", "]"));
      default -> String.valueOf(v);
    };
  }

  /** Python's str.format with positional {} fields; run-time values print as {} (only messages use this). */
  String format(String fmt, List<Object> args) {
    StringBuilder sb = new StringBuilder();
    int next = 0;
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '}' && next < args.size()) {
        sb.append(str(args.get(next++)));
        i++;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  Object len(Object v) {
    return switch (v) {
      case List<?> l -> (long) l.size();
      case PyTuple t -> (long) t.size();
      case String s -> (long) s.length();
      case Value val when val.type() instanceof ListType -> cx.emit(PrimOps.LEN, Map.of(), val);
      case Value val when val.type() instanceof TensorType t && t.shape().isRanked() && t.rank() > 0 ->
          t.shape().dim(0).isStatic() ? (Object) t.shape().dim(0).size() : cx.emit(PrimOps.SIZE, Builder.attrs("dim", 0L), val);
      case null, default -> throw cx.error("len() of " + Callables.describe(v));
    };
  }

  private Object range(List<Object> args) {
    long[] b = new long[args.size()];
    for (int i = 0; i < b.length; i++) b[i] = cx.constInt(args.get(i), "range bound");
    long start = b.length > 1 ? b[0] : 0, stop = b.length > 1 ? b[1] : b[0], step = b.length > 2 ? b[2] : 1;
    if (step == 0) throw cx.error("range() step must not be zero");
    List<Object> out = new ArrayList<>();
    for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
    return out;
  }

  /**
   * {@code ops.prim.RaiseException(msg, kind)}. At the top level of the graph the model raises for every input of
   * the given types, which is reported now; inside a run-time branch it becomes the {@code raise} op and the rest
   * of that branch is dead.
   */
  Object raise(Object msg, Object kind) {
    String message = msg instanceof String s ? s : "error raised by the model";
    String k = kind instanceof String s ? s.replace("builtins.", "") : "Exception";
    if (cx.atTopLevel())
      throw cx.error("the model raises " + k + " for these input types: " + message);
    cx.builder.create(ControlOps.RAISE, List.of(), Builder.attrs("message", message, "kind", k));
    cx.frame.terminated = true;
    return null;
  }

  Object listMethod(List<?> l, String method, List<Object> args) {
    @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
    try {
      switch (method) {
        case "append" -> list.add(args.getFirst());
        case "extend" -> list.addAll(known(args.getFirst(), "extend()"));
        case "insert" -> list.add((int) cx.constInt(args.get(0), "index"), args.get(1));
        case "copy" -> { return new ArrayList<>(list); }
        case "pop" -> { return list.remove(args.isEmpty() ? list.size() - 1 : (int) cx.constInt(args.getFirst(), "index")); }
        default -> throw cx.error("list method '" + method + "' is not supported");
      }
    } catch (UnsupportedOperationException e) {
      throw cx.error("this list cannot be changed (" + method + ")");
    }
    return null;
  }

  Object contains(Object container, Object item) {
    List<?> items = CallLowering.items(container);
    if (items != null && !(item instanceof Value) && items.stream().noneMatch(x -> x instanceof Value)) {
      for (Object x : items) if (Boolean.TRUE.equals(cx.scalars.binary("eq", x, item))) return true;
      return false;
    }
    if (container instanceof java.util.Map<?, ?> m && !(item instanceof Value)) return m.containsKey(item);
    throw cx.error("'in' on " + Callables.describe(container) + " needs values known while lowering");
  }

  /** A known list made a run-time list: elements materialized, then prim.list (or a literal for an empty list). */
  Value listValue(List<?> items) {
    List<Value> vals = new ArrayList<>();
    for (Object o : items) {
      Value v = cx.materialize(o);
      if (v == null) throw cx.error("cannot make a run-time list holding " + Callables.describe(o));
      vals.add(v);
    }
    if (vals.isEmpty()) return cx.literal(Attr.ints(), Type.list(PrimType.INT));
    return cx.emit(PrimOps.LIST, Map.of(), vals.toArray(Value[]::new));
  }

  /** Prims the op table may lack; {@link #NONE_HANDLED} when {@code name} is not one of them. */
  Object fallback(String name, List<Object> args) {
    return switch (name) {
      case "torch.len" -> len(one(name, args));
      case "torch.list" -> new ArrayList<Object>(known(one(name, args), name));
      case "torch.append" -> args.size() == 2 && args.get(0) instanceof List<?> l ? listMethod(l, "append", args.subList(1, 2)) : NONE_HANDLED;
      case "torch.__contains__" -> contains(args.get(0), args.get(1));
      case "torch.dim" -> {
        if (CallLowering.isTensor(args.getFirst()) && cx.typeOf((Value) args.getFirst()).shape().isRanked())
          yield (long) cx.typeOf((Value) args.getFirst()).rank();
        yield NONE_HANDLED;
      }
      default -> NONE_HANDLED;
    };
  }
}
