package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.frontend.script.SourcePos;
import dev.kiln.frontend.script.TypeExpr;
import dev.kiln.ir.IrException;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calls: special forms that read their arguments as types, method calls on modules, tensors and lists, inlining of
 * TorchScript functions and methods, and everything else by qualified name through {@link Builtins} and the op table.
 */
final class CallLowering {
  private final Lowering cx;
  private final Builtins builtins;

  CallLowering(Lowering cx) {
    this.cx = cx;
    this.builtins = new Builtins(cx);
  }

  Object call(Expr.Call c) {
    SourcePos saved = cx.pos;
    cx.pos = c.pos();
    try {
      return dispatch(c);
    } finally {
      cx.pos = saved;
    }
  }

  private Object dispatch(Expr.Call c) {
    if (c.func() instanceof Expr.Name n && !cx.frame.vars.containsKey(n.id())) {
      switch (n.id()) {
        case "annotate" -> { return annotate(c); }
        case "unchecked_cast" -> { return uncheckedCast(c); }
        case "uninitialized" -> {
          argCount(c, 1);
          return new Callables.Uninitialized(TypeMapping.toIr(TypeExpr.fromExpr(c.args().getFirst())));
        }
        case "isinstance" -> {
          argCount(c, 2);
          Object v = cx.exprs.eval(c.args().get(0));
          Boolean r = TypeMapping.isInstance(v, TypeExpr.fromExpr(c.args().get(1)));
          if (r == null) throw cx.error("isinstance(" + Callables.describe(v) + ", ...) cannot be decided while lowering");
          return r;
        }
        default -> { }
      }
    }
    if (c.func() instanceof Expr.Attribute a) {
      Object obj = cx.exprs.eval(a.value());
      List<Object> args = args(c);
      Map<String, Object> kwargs = kwargs(c);
      return switch (obj) {
        case Callables.Namespace ns -> callValue(cx.exprs.attribute(ns, a.attr()), args, kwargs);
        case TorchObject o -> callValue(cx.exprs.attribute(o, a.attr()), args, kwargs);
        case Value v -> {
          args.addFirst(v);
          yield callQualified("torch." + a.attr(), args, kwargs);
        }
        case List<?> l -> builtins.listMethod(l, a.attr(), args);
        case String s when a.attr().equals("format") -> builtins.format(s, args);
        case null, default -> throw cx.error("cannot call method '" + a.attr() + "' on " + Callables.describe(obj));
      };
    }
    Object fn = cx.exprs.eval(c.func());
    return callValue(fn, args(c), kwargs(c));
  }

  private List<Object> args(Expr.Call c) {
    List<Object> out = new ArrayList<>();
    for (Expr e : c.args()) out.add(cx.exprs.eval(e));
    return out;
  }

  private Map<String, Object> kwargs(Expr.Call c) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Expr.Keyword k : c.keywords()) out.put(k.name(), cx.exprs.eval(k.value()));
    return out;
  }

  private void argCount(Expr.Call c, int n) {
    if (c.args().size() != n) throw cx.error(Expr.dottedName(c.func()) + " takes " + n + " arguments, got " + c.args().size());
  }

  /** {@code annotate(T, v)}: a typed empty list becomes a fresh mutable list; anything else passes through. */
  private Object annotate(Expr.Call c) {
    argCount(c, 2);
    TypeExpr.fromExpr(c.args().get(0)); // checks it is a type
    Object v = cx.exprs.eval(c.args().get(1));
    return v instanceof List<?> l ? new ArrayList<Object>(l) : v;
  }

  /** {@code unchecked_cast(T, v)}: narrows an optional; known values are already narrow. */
  private Object uncheckedCast(Expr.Call c) {
    argCount(c, 2);
    TypeExpr.fromExpr(c.args().get(0));
    Object v = cx.exprs.eval(c.args().get(1));
    if (v instanceof Value val && val.type() instanceof OptionalType) return cx.emit(PrimOps.UNWRAP, Map.of(), val);
    return v;
  }

  Object callValue(Object fn, List<Object> args, Map<String, Object> kwargs) {
    return switch (fn) {
      case Callables.Namespace ns -> callQualified(ns.path(), args, kwargs);
      case Callables.Function f -> inline(f.def(), f.source(), f.qualifiedName(), null, args, kwargs);
      case Callables.Method m -> inline(m.def(), m.source(), m.className() + "." + m.def().name(), m.self(), args, kwargs);
      case TorchObject o -> callValue(cx.exprs.attribute(o, "forward"), args, kwargs);
      case null, default -> throw cx.error(Callables.describe(fn) + " is not callable");
    };
  }

  /** A builtin or op by its dotted name: the engine's own builtins, inlined __torch__ functions, then the op table. */
  Object callQualified(String name, List<Object> args, Map<String, Object> kwargs) {
    if (name.startsWith("ops.aten.")) name = "torch." + name.substring("ops.aten.".length());
    if (name.startsWith("builtins.")) name = name.substring("builtins.".length());
    if (name.startsWith("__torch__.")) {
      Callables.Function f = cx.index.findFunction(name);
      if (f == null) throw cx.error("no code for the function '" + name + "'");
      return inline(f.def(), f.source(), name, null, args, kwargs);
    }
    if (builtins.handles(name)) return builtins.call(name, args, kwargs);
    if (name.startsWith("torch.") && kwargs.isEmpty() && ScalarOps.handles(name.substring(6)) && !ScalarOps.anyTensor(args)
        && args.stream().noneMatch(a -> a instanceof Value v && v.type() instanceof dev.kiln.ir.ListType))
      return cx.scalars.apply(name.substring(6), args);
    OpLowering op = cx.ops.apply(name);
    if (op == null && name.startsWith("torch.nn.functional.")) op = cx.ops.apply("torch." + name.substring(20));
    if (op == null) {
      Object r = builtins.fallback(name, args);
      if (r != Builtins.NONE_HANDLED) return r;
      throw cx.error("unsupported op '" + name + "'");
    }
    String saved = cx.opName;
    cx.opName = name;
    try {
      return op.lower(cx, args, kwargs);
    } catch (IrException e) {
      throw cx.wrap(e);
    } finally {
      cx.opName = saved;
    }
  }

  /** Inlines a function or method body with its parameters bound; returns what it returns. */
  Object inline(FunctionDef def, CodeIndex.Source source, String where, TorchObject self, List<Object> args,
      Map<String, Object> kwargs) {
    if (cx.depth >= Lowering.MAX_INLINE_DEPTH)
      throw cx.error("calls nest deeper than " + Lowering.MAX_INLINE_DEPTH + " while inlining " + where + " (recursion?)");
    Frame f = new Frame(where, source);
    List<FunctionDef.Param> params = def.params();
    int p = 0;
    if (self != null) {
      if (params.isEmpty()) throw cx.error("method " + where + " has no self parameter");
      f.vars.put(params.getFirst().name(), self);
      p = 1;
    }
    if (args.size() > params.size() - p)
      throw cx.error(where + " takes " + (params.size() - p) + " arguments, got " + args.size());
    for (Object a : args) f.vars.put(params.get(p++).name(), a);
    for (Map.Entry<String, Object> k : kwargs.entrySet()) {
      if (def.param(k.getKey()) == null) throw cx.error(where + " has no parameter '" + k.getKey() + "'");
      f.vars.put(k.getKey(), k.getValue());
    }
    Frame caller = cx.frame;
    for (FunctionDef.Param prm : params) {
      if (f.vars.containsKey(prm.name())) continue;
      if (prm.defaultValue() == null) throw cx.error(where + " is missing argument '" + prm.name() + "'");
      f.vars.put(prm.name(), cx.exprs.constant(prm.defaultValue()));
    }
    SourcePos pos = cx.pos;
    cx.frame = f;
    cx.depth++;
    try {
      cx.stmts.block(def.body(), false);
    } finally {
      cx.frame = caller;
      cx.depth--;
      cx.pos = pos;
    }
    if (f.terminated) caller.terminated = true;
    return f.returned ? f.vars.get(Frame.RETURN) : null;
  }

  /** A binary Python operator. */
  Object operator(Expr.BinaryOperator op, Object a, Object b) {
    String name = switch (op) {
      case ADD -> "add";
      case SUB -> "sub";
      case MUL -> "mul";
      case DIV -> "div";
      case FLOOR_DIV -> "floordiv";
      case MOD -> "remainder";
      case POW -> "pow";
      case MATMUL -> "matmul";
      case BIT_AND -> "__and__";
      case BIT_OR -> "__or__";
      case BIT_XOR -> "__xor__";
      case LSHIFT, RSHIFT -> throw cx.error("'" + op.symbol() + "' is not supported");
    };
    return operatorName(name, a, b);
  }

  /** {@code a <name> b} for Python operators: tensors through the op table ({@code torch.add} ...), scalars folded. */
  Object operatorName(String name, Object a, Object b) {
    boolean ta = isTensor(a), tb = isTensor(b);
    if (!ta && !tb) return cx.scalars.binary(name, a, b);
    String tensorName = name.equals("floordiv") ? "floor_divide" : name;
    if (ta) return callQualified("torch." + tensorName, new ArrayList<>(List.of(a, b)), Map.of());
    // Scalar on the left: commutative ops swap, comparisons mirror, the rest promote the scalar to a tensor.
    String mirrored = switch (tensorName) {
      case "add", "mul", "eq", "ne", "__and__", "__or__", "__xor__" -> tensorName;
      case "lt" -> "gt";
      case "gt" -> "lt";
      case "le" -> "ge";
      case "ge" -> "le";
      case "sub" -> "rsub";
      default -> null;
    };
    if (mirrored != null) return callQualified("torch." + mirrored, new ArrayList<>(List.of(b, a)), Map.of());
    return callQualified("torch." + tensorName, new ArrayList<>(List.of(cx.tensor(a, "left operand"), b)), Map.of());
  }

  static boolean isTensor(Object v) { return v instanceof Value val && val.type() instanceof TensorType; }

  /** {@code item in container}. */
  Object contains(Object container, Object item) { return builtins.contains(container, item); }

  /** A known list as a run-time list value (its elements materialized). */
  Value listValue(List<?> items) { return builtins.listValue(items); }

  /** {@code x[...]} on a tensor: ints select, slices slice, None unsqueezes, {@code ...} skips dims. */
  Object tensorIndex(Value x, Expr indexExpr) {
    List<Expr> items = indexExpr instanceof Expr.TupleExpr t ? t.elements() : List.of(indexExpr);
    int rank = cx.typeOf(x).shape().isRanked() ? cx.typeOf(x).rank() : -1;
    Object cur = x;
    long dim = 0;
    for (int i = 0; i < items.size(); i++) {
      Expr it = items.get(i);
      if (it instanceof Expr.EllipsisLit) {
        if (rank < 0) throw cx.error("'...' needs a tensor of known rank");
        long rest = items.subList(i + 1, items.size()).stream().filter(e -> !(e instanceof Expr.NoneLit)).count();
        dim = rank - rest;
      } else if (it instanceof Expr.NoneLit) {
        cur = callQualified("torch.unsqueeze", new ArrayList<>(List.of(cur, dim)), Map.of());
        dim++;
      } else if (it instanceof Expr.Slice s) {
        Object lo = s.lower() == null ? (Object) 0L : cx.exprs.eval(s.lower());
        Object hi = s.upper() == null ? (Object) Long.MAX_VALUE : cx.exprs.eval(s.upper());
        Object st = s.step() == null ? (Object) 1L : cx.exprs.eval(s.step());
        if (!(s.lower() == null && s.upper() == null && s.step() == null))
          cur = callQualified("torch.slice", new ArrayList<>(java.util.Arrays.asList(cur, dim, lo, hi, st)), Map.of());
        dim++;
      } else {
        Object idx = cx.exprs.eval(it);
        cur = callQualified("torch.select", new ArrayList<>(List.of(cur, dim, idx)), Map.of());
      }
    }
    return cur;
  }

  /** Wraps a PyTuple check for callers that unpack. */
  static List<?> items(Object v) {
    return v instanceof PyTuple t ? t.items() : v instanceof List<?> l ? l : null;
  }
}
