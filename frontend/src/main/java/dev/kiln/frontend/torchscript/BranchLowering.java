package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.Stmt;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Builder;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code if}, {@code for} and {@code while}. A condition known while lowering lowers only the taken branch; a
 * trip count known while lowering unrolls the loop. Otherwise the IR {@code if} / {@code loop} is built through
 * {@link RuntimeRegions}.
 */
final class BranchLowering {
  static final int MAX_UNROLL = 100_000;

  private final Lowering cx;
  private final RuntimeRegions regions;

  BranchLowering(Lowering cx) {
    this.cx = cx;
    this.regions = new RuntimeRegions(cx);
  }

  void ifStmt(Stmt.If s) {
    Object c = cx.exprs.eval(s.test());
    if (c instanceof Callables.Uninitialized) throw cx.error("the condition is an uninitialized value");
    if (c instanceof Value v) {
      regions.ifStmt(cx.scalars.truth(v), s);
      return;
    }
    cx.stmts.block(cx.scalars.truthy(c) ? s.body() : s.orElse(), false);
  }

  /** {@code body if cond else orElse} with a run-time condition. */
  Object select(Value cond, Expr body, Expr orElse) { return regions.select(cond, body, orElse); }

  void forStmt(Stmt.For s) {
    if (s.iter() instanceof Expr.Call c && c.func() instanceof Expr.Name n && n.id().equals("range")
        && !cx.frame.vars.containsKey("range") && c.keywords().isEmpty()) {
      List<Object> bounds = new ArrayList<>();
      for (Expr e : c.args()) bounds.add(cx.exprs.eval(e));
      if (bounds.isEmpty() || bounds.size() > 3) throw cx.error("range() takes 1 to 3 arguments, got " + bounds.size());
      if (bounds.stream().allMatch(cx::isConst)) {
        unroll(knownRange(bounds), s.target(), s.body());
        return;
      }
      Object start = bounds.size() > 1 ? bounds.get(0) : (Object) 0L;
      Object stop = bounds.size() > 1 ? bounds.get(1) : bounds.get(0);
      if (bounds.size() == 3 && !Long.valueOf(1).equals(bounds.get(2)))
        throw cx.error("a range with a run-time bound must have step 1");
      Object trip = Long.valueOf(0).equals(start) ? stop : cx.scalars.binary("sub", stop, start);
      regions.loop(cx.scalar(trip, "trip count"), null, start, null, s.target(), s.body());
      return;
    }
    Object iter = cx.exprs.eval(s.iter());
    List<?> items = knownItems(iter);
    if (items != null) {
      unroll(items, s.target(), s.body());
    } else if (iter instanceof Value v && v.type() instanceof ListType) {
      regions.loop(cx.emit(PrimOps.LEN, Map.of(), v), null, 0L, v, s.target(), s.body());
    } else {
      throw cx.error("cannot iterate over " + Callables.describe(iter));
    }
  }

  /** The items of a list or tuple known while lowering (its elements may be run-time values), else null. */
  List<?> knownItems(Object v) {
    return v instanceof PyTuple t ? t.items() : v instanceof List<?> l ? new ArrayList<>(l) : null;
  }

  private List<Object> knownRange(List<Object> b) {
    long start = b.size() > 1 ? cx.constInt(b.get(0), "range start") : 0;
    long stop = cx.constInt(b.size() > 1 ? b.get(1) : b.get(0), "range stop");
    long step = b.size() > 2 ? cx.constInt(b.get(2), "range step") : 1;
    if (step == 0) throw cx.error("range() step must not be zero");
    List<Object> out = new ArrayList<>();
    for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (out.size() >= MAX_UNROLL) throw cx.error("loop of more than " + MAX_UNROLL + " iterations is too long to unroll");
      out.add(i);
    }
    return out;
  }

  private void unroll(List<?> items, Expr target, List<Stmt> body) {
    Frame f = cx.frame;
    for (Object item : items) {
      cx.stmts.assign(target, item);
      cx.stmts.block(body, true);
      f.continuing = false;
      if (f.breaking) {
        f.breaking = false;
        break;
      }
      if (f.leaving()) break;
    }
  }

  void whileStmt(Stmt.While s) {
    Frame f = cx.frame;
    for (int iter = 0; ; iter++) {
      Object c = cx.exprs.eval(s.test());
      if (c instanceof Value v) {
        // From here on the condition depends on run-time data: the remaining iterations become an IR loop.
        regions.loop(cx.literal(Attr.of(Long.MAX_VALUE), PrimType.INT), cx.scalars.truth(v), 0L, null, null, s.body(), s.test());
        return;
      }
      if (!cx.scalars.truthy(c)) return;
      if (iter >= MAX_UNROLL) throw cx.error("while loop runs more than " + MAX_UNROLL + " iterations while unrolling");
      cx.stmts.block(s.body(), true);
      f.continuing = false;
      if (f.breaking) {
        f.breaking = false;
        return;
      }
      if (f.leaving()) return;
    }
  }

  /** Runs {@code lower} with nodes going into {@code b} and the frame's variables replaced by {@code vars}. */
  <T> T into(Block b, Map<String, Object> vars, Supplier<T> lower) {
    Builder saved = cx.builder;
    Map<String, Object> savedVars = cx.frame.vars;
    cx.builder = Builder.atEnd(b);
    cx.frame.vars = vars;
    try {
      return lower.get();
    } finally {
      cx.builder = saved;
      cx.frame.vars = savedVars;
    }
  }

  /** Appends a structured node whose blocks were built detached, at the current insertion point. */
  Node attach(dev.kiln.ir.OpDef op, List<Value> operands, List<Type> types, List<Block> blocks) {
    Node n = Node.create(op, operands, Map.of(), types, 0);
    for (Block b : blocks) n.addBlock(b);
    cx.builder.block().append(n);
    return n;
  }

  static void yield(Block b, List<Value> values) {
    Builder.atEnd(b).create(ControlOps.YIELD, values, Map.of());
  }
}
