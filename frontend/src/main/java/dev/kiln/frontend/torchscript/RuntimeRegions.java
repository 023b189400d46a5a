package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.Stmt;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * IR {@code if} and {@code loop} for conditions and trip counts known only at run time. Each block is lowered
 * detached with its own copy of the variables; afterwards every variable that differs between the paths and is read
 * later is passed out through {@code yield} (an if) or carried (a loop).
 */
final class RuntimeRegions {
  /** What lowering one branch left behind. */
  private record Branch(Block block, Map<String, Object> vars, boolean returned, boolean terminated, boolean jumped) {}

  private final Lowering cx;

  RuntimeRegions(Lowering cx) { this.cx = cx; }

  private BranchLowering br() { return cx.branches; }

  private Branch lower(List<Stmt> stmts, Map<String, Object> vars) {
    Frame f = cx.frame;
    boolean ret = f.returned, term = f.terminated;
    f.returned = f.terminated = false;
    Block b = new Block();
    try {
      return br().into(b, vars, () -> {
        cx.stmts.block(stmts, false);
        return new Branch(b, f.vars, f.returned, f.terminated, f.breaking || f.continuing);
      });
    } finally {
      f.returned = ret;
      f.terminated = term;
    }
  }

  /** A branch whose own statements (not nested ones) raise: it never falls through. */
  private static boolean raises(List<Stmt> stmts) {
    for (Stmt s : stmts) {
      if (s instanceof Stmt.Raise) return true;
      if (s instanceof Stmt.ExprStmt e && e.value() instanceof Expr.Call c
          && "ops.prim.RaiseException".equals(Expr.dottedName(c.func()))) return true;
    }
    return false;
  }

  void ifStmt(Value cond, Stmt.If s) {
    Frame f = cx.frame;
    dev.kiln.frontend.script.SourcePos at = cx.pos;
    Map<String, Object> before = f.vars;
    boolean thenRaises = raises(s.body()), elseRaises = raises(s.orElse());
    if (thenRaises != elseRaises) {
      // `if c: raise ... else: B` is `if c: raise`, then B: the other branch continues in the enclosing block.
      Branch r = lower(thenRaises ? s.body() : s.orElse(), f.copyVars());
      Block empty = new Block();
      BranchLowering.yield(empty, List.of());
      if (r.block().terminator() == null) BranchLowering.yield(r.block(), List.of());
      br().attach(ControlOps.IF, List.of(cond), List.of(), thenRaises ? List.of(r.block(), empty) : List.of(empty, r.block()));
      cx.stmts.block(thenRaises ? s.orElse() : s.body(), false);
      return;
    }
    Branch t = lower(s.body(), f.copyVars());
    Branch e = lower(s.orElse(), f.copyVars());
    cx.pos = at;
    if (t.jumped() || e.jumped()) throw cx.error("break/continue under a run-time condition is not supported");
    if (t.terminated() && e.terminated()) {
      yieldNothing(t, e);
      br().attach(ControlOps.IF, List.of(cond), List.of(), List.of(t.block(), e.block()));
      f.terminated = true;
      return;
    }
    boolean tDone = t.returned() || t.terminated(), eDone = e.returned() || e.terminated();
    if (t.returned() != e.returned() && !(tDone && eDone))
      throw cx.error("a return in only one branch of an if on a run-time condition is not supported");
    merge(cond, before, t, e);
    f.returned = t.returned() || e.returned();
  }

  private void yieldNothing(Branch t, Branch e) {
    for (Branch b : List.of(t, e)) if (b.block().terminator() == null) BranchLowering.yield(b.block(), List.of());
  }

  /** Builds the if node, yielding each live variable that differs between the branches. */
  private void merge(Value cond, Map<String, Object> before, Branch t, Branch e) {
    Set<String> live = NameUses.liveAfter(cx.frame);
    Set<String> names = new TreeSet<>(t.vars().keySet());
    names.addAll(e.vars().keySet());
    Map<String, Object> merged = new HashMap<>(before);
    List<String> out = new ArrayList<>();
    List<Value> tv = new ArrayList<>(), ev = new ArrayList<>();
    List<Type> types = new ArrayList<>();
    String where = "the if at " + cx.pos;
    for (String n : names) {
      boolean inT = t.vars().containsKey(n), inE = e.vars().containsKey(n);
      Object a = t.vars().get(n), b = e.vars().get(n);
      if (t.terminated()) { a = b; inT = inE; }
      if (e.terminated()) { b = a; inE = inT; }
      if (inT && inE && same(a, b)) {
        merged.put(n, a);
        continue;
      }
      if (!live.contains(n)) {
        merged.put(n, new Callables.Undefined("it differs between the branches of " + where + " and is not passed out"));
        continue;
      }
      if (!inT || !inE) {
        merged.put(n, new Callables.Undefined("it is assigned in only one branch of " + where));
        continue;
      }
      Value va = t.terminated() ? null : inBlock(t.block(), a);
      Value vb = e.terminated() ? null : inBlock(e.block(), b);
      if ((!t.terminated() && va == null) || (!e.terminated() && vb == null))
        throw cx.error("variable '" + n + "' is " + Callables.describe(a) + " in the then branch and " + Callables.describe(b)
            + " in the else branch; only tensors and numbers may differ between the branches of a run-time if");
      if (va == null) va = placeholder(t.block(), vb.type(), before.get(n), n);
      if (vb == null) vb = placeholder(e.block(), va.type(), before.get(n), n);
      if (!va.type().equals(vb.type()))
        throw cx.error("variable '" + n + "' is " + va.type().text() + " in the then branch and " + vb.type().text()
            + " in the else branch; the branches of a run-time if must agree");
      out.add(n);
      tv.add(va);
      ev.add(vb);
      types.add(va.type());
    }
    if (t.block().terminator() == null) BranchLowering.yield(t.block(), tv);
    if (e.block().terminator() == null) BranchLowering.yield(e.block(), ev);
    Node node = br().attach(ControlOps.IF, List.of(cond), types, List.of(t.block(), e.block()));
    for (int i = 0; i < out.size(); i++) {
      Value r = node.result(i);
      if (!out.get(i).startsWith("_") && !out.get(i).startsWith("$")) r.setName(out.get(i));
      merged.put(out.get(i), r);
    }
    cx.frame.vars = merged;
  }

  /** Identical objects, or equal known scalars and strings: nothing to pass out. */
  private static boolean same(Object a, Object b) {
    if (a == b) return true;
    if (a instanceof Value || b instanceof Value) return false;
    return (ScalarOps.isNumber(a) || a instanceof String) && a.getClass() == b.getClass() && Objects.equals(a, b);
  }

  /** {@code v} as a value usable at the end of block {@code b} (known scalars become constants there), or null. */
  private Value inBlock(Block b, Object v) {
    if (v instanceof Value val) return val;
    return br().into(b, cx.frame.vars, () -> cx.materialize(v));
  }

  /** A stand-in for a path that raised: the value before the if when it has the type, else a constant. */
  private Value placeholder(Block b, Type type, Object before, String name) {
    if (before instanceof Value v && v.type().equals(type)) return v;
    return br().into(b, cx.frame.vars, () -> {
      if (type == PrimType.INT) return cx.literal(Attr.of(0L), type);
      if (type == PrimType.FLOAT) return cx.literal(Attr.of(0.0), type);
      if (type == PrimType.BOOL) return cx.literal(Attr.of(false), type);
      if (type instanceof TensorType tt && tt.shape().isStatic() && !tt.dtype().isQuantized())
        return cx.emit(ShapeOps.FULL, dev.kiln.ir.Builder.attrs("shape", tt.shape().sizes(), "value", 0.0, "dtype", tt.dtype()));
      throw cx.error("variable '" + name + "' (" + type.text() + ") has no value on the path that raises");
    });
  }

  /** {@code body if cond else orElse} on a run-time condition. */
  Object select(Value cond, Expr body, Expr orElse) {
    Block tb = new Block(), eb = new Block();
    Value a = br().into(tb, cx.frame.vars, () -> cx.materialize(cx.exprs.eval(body)));
    Value b = br().into(eb, cx.frame.vars, () -> cx.materialize(cx.exprs.eval(orElse)));
    if (a == null || b == null || !a.type().equals(b.type()))
      throw cx.error("the two sides of a conditional expression on a run-time condition must be tensors or numbers of one type");
    BranchLowering.yield(tb, List.of(a));
    BranchLowering.yield(eb, List.of(b));
    return br().attach(ControlOps.IF, List.of(cond), List.of(a.type()), List.of(tb, eb)).result(0);
  }

  /**
   * An IR loop running {@code trip} times while the condition holds. The target is bound to {@code start + i}, or
   * to element i of {@code list}; a while loop re-evaluates {@code whileTest} at the end of the body.
   */
  void loop(Value trip, Value initCond, Object start, Value list, Expr target, List<Stmt> body, Expr... whileTest) {
    Frame f = cx.frame;
    dev.kiln.frontend.script.SourcePos at = cx.pos;
    Set<String> assigned = NameUses.assigned(body);
    List<String> carried = new ArrayList<>();
    List<Value> inits = new ArrayList<>();
    for (String n : new TreeSet<>(assigned)) {
      if (!f.vars.containsKey(n) || f.vars.get(n) instanceof Callables.Undefined) continue;
      Value v = cx.materialize(f.vars.get(n));
      if (v == null) continue; // not carryable (module, None, list): checked unchanged below
      carried.add(n);
      inits.add(v);
    }
    Value cond0 = initCond != null ? initCond : cx.literal(Attr.of(true), PrimType.BOOL);
    Block b = new Block();
    Value iv = b.addArg(PrimType.INT, "i");
    Map<String, Object> vars = f.copyVars();
    for (int k = 0; k < carried.size(); k++) vars.put(carried.get(k), b.addArg(inits.get(k).type(), carried.get(k)));
    Map<String, Object> before = f.vars;
    boolean ret = f.returned, term = f.terminated;
    Map<String, Object> after = br().into(b, vars, () -> {
      if (target != null)
        cx.stmts.assign(target, list != null ? cx.emit(PrimOps.LIST_GET, Map.of(), list, iv)
            : Long.valueOf(0).equals(start) ? iv : cx.scalars.binary("add", start, iv));
      cx.stmts.block(body, true);
      if (f.breaking || f.continuing || f.returned || f.terminated)
        throw cx.error("break, continue, return or raise in a loop with a run-time trip count is not supported");
      Value next = whileTest.length > 0 ? truthOf(cx.exprs.eval(whileTest[0])) : cx.literal(Attr.of(true), PrimType.BOOL);
      List<Value> ys = new ArrayList<>(List.of(next));
      for (int k = 0; k < carried.size(); k++) {
        Value y = cx.materialize(f.vars.get(carried.get(k)));
        if (y == null || !y.type().equals(inits.get(k).type()))
          throw cx.error("loop-carried variable '" + carried.get(k) + "' is " + inits.get(k).type().text() + " before the loop and "
              + (y == null ? Callables.describe(f.vars.get(carried.get(k))) : y.type().text()) + " after an iteration");
        ys.add(y);
      }
      BranchLowering.yield(b, ys);
      return f.vars;
    });
    f.returned = ret;
    f.terminated = term;
    cx.pos = at;
    List<Value> operands = new ArrayList<>(List.of(trip, cond0));
    operands.addAll(inits);
    Node node = br().attach(ControlOps.LOOP, operands, inits.stream().map(Value::type).toList(), List.of(b));
    Map<String, Object> merged = new HashMap<>(before);
    for (String n : assigned) {
      if (carried.contains(n)) continue;
      if (!before.containsKey(n) || !same(before.get(n), after.get(n)))
        merged.put(n, new Callables.Undefined("it is assigned in the run-time loop at " + cx.pos + " and not carried"));
    }
    for (int k = 0; k < carried.size(); k++) {
      Value r = node.result(k);
      if (!carried.get(k).startsWith("_")) r.setName(carried.get(k));
      merged.put(carried.get(k), r);
    }
    f.vars = merged;
  }

  private Value truthOf(Object v) {
    if (v instanceof Value val) return cx.scalars.truth(val);
    return cx.literal(Attr.of(cx.scalars.truthy(v)), PrimType.BOOL);
  }
}
