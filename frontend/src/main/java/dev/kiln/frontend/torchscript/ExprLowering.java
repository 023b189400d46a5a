package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.frontend.script.Import;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Expressions to lowering-time values: literals fold, names read the frame, attributes walk modules and namespaces. */
final class ExprLowering {
  /** Names that resolve to a namespace or builtin when no variable shadows them. */
  private static final Set<String> GLOBALS = Set.of("torch", "ops", "__torch__", "CONSTANTS", "math", "builtins",
      "annotate", "unchecked_cast", "uninitialized", "isinstance", "int", "float", "bool", "str", "len", "range",
      "getattr", "hasattr", "print", "min", "max", "abs", "list", "tuple");

  /** torch dtype names as the ScalarType codes TorchScript passes around ({@code dtype=6} is float32). */
  private static final Map<String, Long> DTYPES = Map.ofEntries(Map.entry("uint8", 0L), Map.entry("int8", 1L),
      Map.entry("int16", 2L), Map.entry("short", 2L), Map.entry("int32", 3L), Map.entry("int", 3L),
      Map.entry("int64", 4L), Map.entry("long", 4L), Map.entry("float16", 5L), Map.entry("half", 5L),
      Map.entry("float32", 6L), Map.entry("float", 6L), Map.entry("float64", 7L), Map.entry("double", 7L),
      Map.entry("bool", 11L), Map.entry("bfloat16", 15L));

  private final Lowering cx;

  ExprLowering(Lowering cx) { this.cx = cx; }

  /** A class constant's value ({@code Final} declarations hold literals, tuples and lists). */
  Object constant(Expr e) { return eval(e); }

  Object eval(Expr e) {
    return switch (e) {
      case Expr.IntLit i -> i.value();
      case Expr.FloatLit f -> f.value();
      case Expr.StrLit s -> s.value();
      case Expr.BoolLit b -> b.value();
      case Expr.NoneLit _ -> null;
      case Expr.Name n -> lookup(n.id());
      case Expr.Attribute a -> attribute(eval(a.value()), a.attr());
      case Expr.Call c -> cx.calls.call(c);
      case Expr.Subscript s -> subscript(eval(s.value()), s.index());
      case Expr.ListExpr l -> new ArrayList<>(l.elements().stream().map(this::eval).toList());
      case Expr.TupleExpr t -> new PyTuple(t.elements().stream().map(this::eval).toList());
      case Expr.Unary u -> unary(u);
      case Expr.Binary b -> cx.calls.operator(b.op(), eval(b.left()), eval(b.right()));
      case Expr.Compare c -> compare(c);
      case Expr.BoolOp b -> boolOp(b);
      case Expr.IfExp i -> ifExp(i);
      case Expr.ListComp lc -> listComp(lc);
      default -> throw cx.error(Expr.describe(e) + " is not supported here");
    };
  }

  /** A variable, else a global name (namespace, builtin, a function or import of the same file). */
  Object lookup(String id) {
    Frame f = cx.frame;
    if (f.vars.containsKey(id)) {
      Object v = f.vars.get(id);
      if (v instanceof Callables.Undefined u) throw cx.error("variable '" + id + "' has no value here: " + u.why());
      return v;
    }
    FunctionDef fn = f.source.module().function(id);
    if (fn != null) return new Callables.Function(fn, f.source, id);
    for (Import imp : f.source.module().imports())
      if (id.equals(imp.boundName()))
        return new Callables.Namespace(imp.name() == null || imp.name().equals("*") ? (imp.alias() != null ? imp.module() : id)
            : imp.module() + "." + imp.name());
    if (GLOBALS.contains(id)) return new Callables.Namespace(id);
    throw cx.error("name '" + id + "' is not defined");
  }

  Object attribute(Object obj, String attr) {
    return switch (obj) {
      case Callables.Namespace ns when ns.path().equals("CONSTANTS") -> cx.modules == null
          ? throwNoConstants() : cx.modules.constant(cx, attr);
      case Callables.Namespace ns when ns.path().equals("torch") && DTYPES.containsKey(attr) -> DTYPES.get(attr);
      case Callables.Namespace ns -> ns.dot(attr);
      case TorchObject o -> {
        if (cx.modules == null) throw cx.error("module objects exist only in archives");
        yield cx.modules.attribute(cx, o, attr);
      }
      case Value v when v.type() instanceof TensorType -> switch (attr) {
        case "shape" -> cx.calls.callQualified("torch.size", new ArrayList<>(List.of(v)), Map.of());
        case "dtype" -> cx.calls.callQualified("ops.prim.dtype", new ArrayList<>(List.of(v)), Map.of());
        case "T" -> cx.calls.callQualified("torch.t", new ArrayList<>(List.of(v)), Map.of());
        case null, default -> throw cx.error("tensor attribute '" + attr + "' is not supported");
      };
      default -> throw cx.error(Callables.describe(obj) + " has no attribute '" + attr + "'");
    };
  }

  private Object throwNoConstants() { throw cx.error("CONSTANTS exists only in archives"); }

  /** {@code obj[index]} on lists, tuples and tensors. */
  Object subscript(Object obj, Expr indexExpr) {
    if (obj instanceof Value v && v.type() instanceof TensorType) return cx.calls.tensorIndex(v, indexExpr);
    if (indexExpr instanceof Expr.Slice sl) {
      List<?> items = obj instanceof PyTuple t ? t.items() : obj instanceof List<?> l ? l : null;
      if (items == null) throw cx.error("cannot slice " + Callables.describe(obj));
      int n = items.size();
      long step = sl.step() == null ? 1 : cx.constInt(eval(sl.step()), "slice step");
      if (step != 1) throw cx.error("list slices with a step are not supported");
      int lo = clampIndex(sl.lower() == null ? 0 : cx.constInt(eval(sl.lower()), "slice start"), n);
      int hi = clampIndex(sl.upper() == null ? n : cx.constInt(eval(sl.upper()), "slice end"), n);
      List<Object> out = new ArrayList<>(items.subList(lo, Math.max(lo, hi)));
      return obj instanceof PyTuple ? new PyTuple(out) : out;
    }
    Object index = eval(indexExpr);
    if (obj instanceof List<?> || obj instanceof PyTuple) {
      List<?> items = obj instanceof PyTuple t ? t.items() : (List<?>) obj;
      if (index instanceof Value iv) {
        Value list = cx.calls.listValue(items);
        return cx.emit(PrimOps.LIST_GET, Map.of(), list, iv);
      }
      long i = cx.constInt(index, "index");
      long k = i < 0 ? i + items.size() : i;
      if (k < 0 || k >= items.size()) throw cx.error("index " + i + " is out of range for " + Callables.describe(obj));
      return items.get((int) k);
    }
    if (obj instanceof Value v && v.type() instanceof ListType)
      return cx.emit(PrimOps.LIST_GET, Map.of(), v, cx.scalar(index, "index"));
    if (obj instanceof Value v && v.type() instanceof TupleType)
      return cx.emit(PrimOps.TUPLE_GET, dev.kiln.ir.Builder.attrs("index", cx.constInt(index, "tuple index")), v);
    if (obj instanceof String s) return String.valueOf(s.charAt((int) cx.constInt(index, "index")));
    throw cx.error("cannot index " + Callables.describe(obj));
  }

  private static int clampIndex(long i, int n) {
    long k = i < 0 ? i + n : i;
    return (int) Math.max(0, Math.min(n, k));
  }

  private Object unary(Expr.Unary u) {
    Object v = eval(u.operand());
    return switch (u.op()) {
      case POS -> v;
      case NOT -> not(v);
      case NEG -> v instanceof Value t && t.type() instanceof TensorType
          ? cx.calls.callQualified("torch.neg", new ArrayList<>(List.of(t)), Map.of()) : cx.scalars.unary("neg", v);
      case INVERT -> v instanceof Value t && t.type() instanceof TensorType
          ? cx.calls.callQualified("torch.bitwise_not", new ArrayList<>(List.of(t)), Map.of())
          : (Object) (~cx.constInt(v, "operand of ~"));
    };
  }

  /** Python's {@code not}: folded on known values, prim.not on run-time ones. */
  Object not(Object v) {
    if (v instanceof Value val) return cx.emit(PrimOps.NOT, Map.of(), cx.scalars.truth(val));
    return !cx.scalars.truthy(v);
  }

  private Object compare(Expr.Compare c) {
    Object left = eval(c.left());
    List<Object> parts = new ArrayList<>();
    for (int i = 0; i < c.ops().size(); i++) {
      Object right = eval(c.comparators().get(i));
      parts.add(switch (c.ops().get(i)) {
        case IS -> is(left, right);
        case IS_NOT -> not(is(left, right));
        case IN -> cx.calls.contains(right, left);
        case NOT_IN -> not(cx.calls.contains(right, left));
        case EQ -> cx.calls.operatorName("eq", left, right);
        case NE -> cx.calls.operatorName("ne", left, right);
        case LT -> cx.calls.operatorName("lt", left, right);
        case LE -> cx.calls.operatorName("le", left, right);
        case GT -> cx.calls.operatorName("gt", left, right);
        case GE -> cx.calls.operatorName("ge", left, right);
      });
      left = right;
    }
    return and(parts);
  }

  /**
   * {@code a is b}: known while lowering except for an optional run-time value against None. A run-time tensor or
   * number is never None.
   */
  Object is(Object a, Object b) {
    if (a instanceof Value va && b == null) return isNone(va);
    if (b instanceof Value vb && a == null) return isNone(vb);
    if (a instanceof Value || b instanceof Value) {
      if (a == b) return true;
      if (a instanceof Value && b instanceof Value) throw cx.error("'is' between two run-time values is not supported");
      return false;
    }
    if (a == null || b == null) return a == b;
    return a == b || (ScalarOps.isNumber(a) || a instanceof String) && a.equals(b);
  }

  private Object isNone(Value v) {
    if (v.type() instanceof OptionalType) return cx.emit(PrimOps.IS_NONE, Map.of(), v);
    return v.type() == PrimType.NONE;
  }

  /** Conjunction of known and run-time bools: a known false wins, known trues drop out. */
  Object and(List<Object> parts) {
    List<Value> runtime = new ArrayList<>();
    for (Object p : parts) {
      if (p instanceof Value v) runtime.add(cx.scalars.truth(v));
      else if (!cx.scalars.truthy(p)) return false;
    }
    if (runtime.isEmpty()) return true;
    Value acc = runtime.getFirst();
    for (int i = 1; i < runtime.size(); i++) acc = cx.emit(PrimOps.AND, Map.of(), acc, runtime.get(i));
    return acc;
  }

  private Object boolOp(Expr.BoolOp b) {
    boolean isAnd = b.op() == Expr.BoolOperator.AND;
    List<Value> runtime = new ArrayList<>();
    for (Expr e : b.values()) {
      Object v = eval(e);
      if (v instanceof Value val) {
        runtime.add(cx.scalars.truth(val));
        continue;
      }
      // Short-circuit on a known operand: `x is not None and x.size(0) > 1` never lowers the right side for None.
      if (cx.scalars.truthy(v) != isAnd) return isAnd ? Boolean.FALSE : Boolean.TRUE;
    }
    if (runtime.isEmpty()) return isAnd;
    Value acc = runtime.getFirst();
    for (int i = 1; i < runtime.size(); i++) acc = cx.emit(isAnd ? PrimOps.AND : PrimOps.OR, Map.of(), acc, runtime.get(i));
    return acc;
  }

  private Object ifExp(Expr.IfExp i) {
    Object test = eval(i.test());
    if (test instanceof Value v) return cx.branches.select(cx.scalars.truth(v), i.body(), i.orElse());
    return cx.scalars.truthy(test) ? eval(i.body()) : eval(i.orElse());
  }

  /** A comprehension over a list known while lowering, unrolled. */
  private Object listComp(Expr.ListComp lc) {
    Object iter = eval(lc.generator().iter());
    List<?> items = cx.branches.knownItems(iter);
    if (items == null) throw cx.error("a list comprehension needs a list known while lowering, got " + Callables.describe(iter));
    Map<String, Object> saved = cx.frame.copyVars();
    List<Object> out = new ArrayList<>();
    try {
      for (Object item : items) {
        cx.stmts.assign(lc.generator().target(), item);
        boolean keep = true;
        for (Expr cond : lc.generator().conditions()) keep &= cx.scalars.truthy(requireKnown(eval(cond), "a comprehension condition"));
        if (keep) out.add(eval(lc.element()));
      }
    } finally {
      cx.frame.vars = saved;
    }
    return out;
  }

  Object requireKnown(Object v, String what) {
    if (v instanceof Value) throw cx.error(what + " must be known while lowering, got " + Callables.describe(v));
    return v;
  }
}
