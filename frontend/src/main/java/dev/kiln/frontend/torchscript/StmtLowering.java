package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.Stmt;
import dev.kiln.ir.Builder;
import dev.kiln.ir.IrException;
import dev.kiln.ir.ListType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Statements: assignments and unpacking, returns, raises and asserts; branches and loops go to {@link BranchLowering}. */
final class StmtLowering {
  private final Lowering cx;

  StmtLowering(Lowering cx) { this.cx = cx; }

  /** Lowers {@code stmts} in the current frame until control leaves (return, raise, break, continue). */
  void block(List<Stmt> stmts, boolean loopBody) {
    Frame f = cx.frame;
    Frame.Cursor c = new Frame.Cursor(stmts, loopBody);
    f.cursors.push(c);
    try {
      for (int i = 0; i < stmts.size() && !f.leaving(); i++) {
        c.index = i;
        stmt(stmts.get(i));
      }
    } finally {
      f.cursors.pop();
    }
  }

  private void stmt(Stmt s) {
    cx.pos = s.pos();
    try {
      switch (s) {
        case Stmt.Assign a -> {
          Object v = cx.exprs.eval(a.value());
          for (Expr t : a.targets()) assign(t, v);
        }
        case Stmt.AnnAssign a -> { if (a.value() != null) assign(a.target(), cx.exprs.eval(a.value())); }
        case Stmt.AugAssign a -> assign(a.target(), cx.calls.operator(a.op(), cx.exprs.eval(a.target()), cx.exprs.eval(a.value())));
        case Stmt.ExprStmt e -> cx.exprs.eval(e.value());
        case Stmt.Pass _ -> { }
        case Stmt.Return r -> {
          cx.frame.vars.put(Frame.RETURN, r.value() == null ? null : cx.exprs.eval(r.value()));
          cx.frame.returned = true;
        }
        case Stmt.If i -> cx.branches.ifStmt(i);
        case Stmt.For f -> cx.branches.forStmt(f);
        case Stmt.While w -> cx.branches.whileStmt(w);
        case Stmt.Break _ -> cx.frame.breaking = true;
        case Stmt.Continue _ -> cx.frame.continuing = true;
        case Stmt.Raise r -> raise(r);
        case Stmt.Assert a -> assertStmt(a);
        default -> throw cx.error("statement " + s.getClass().getSimpleName() + " is not supported");
      }
    } catch (IrException e) {
      throw cx.wrap(e);
    }
  }

  /** Binds an assignment target: a name, a tuple/list of targets, or an element of a known list. */
  void assign(Expr target, Object v) {
    switch (target) {
      case Expr.Name n -> {
        if (v instanceof Value val && val.name() == null && !n.id().startsWith("_")) val.setName(n.id());
        cx.frame.vars.put(n.id(), v);
      }
      case Expr.TupleExpr t -> unpackInto(t.elements(), v);
      case Expr.ListExpr l -> unpackInto(l.elements(), v);
      case Expr.Subscript s -> {
        Object obj = cx.exprs.eval(s.value());
        if (!(obj instanceof List<?> l)) throw cx.error("item assignment is supported on lists known while lowering, not on " + Callables.describe(obj));
        @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
        long i = cx.constInt(cx.exprs.eval(s.index()), "index");
        try {
          list.set((int) (i < 0 ? i + list.size() : i), v);
        } catch (UnsupportedOperationException | IndexOutOfBoundsException e) {
          throw cx.error("cannot assign item " + i + " of " + Callables.describe(obj));
        }
      }
      default -> throw cx.error("cannot assign to " + Expr.describe(target));
    }
  }

  private void unpackInto(List<Expr> targets, Object v) {
    List<?> items = unpack(v, targets.size());
    for (int i = 0; i < targets.size(); i++) assign(targets.get(i), items.get(i));
  }

  /** The {@code n} items of a tuple or list, known or run-time. */
  List<?> unpack(Object v, int n) {
    List<?> items = switch (v) {
      case PyTuple t -> t.items();
      case List<?> l -> l;
      case Value val when val.type() instanceof TupleType -> cx.emitMulti(PrimOps.UNPACK, Map.of(), List.of(val));
      case Value val when val.type() instanceof ListType ->
          cx.emitMulti(PrimOps.LIST_UNPACK, Builder.attrs("n", (long) n), List.of(val));
      case null, default -> throw cx.error("cannot unpack " + Callables.describe(v) + " into " + n + " names");
    };
    if (items.size() != n) throw cx.error("cannot unpack " + items.size() + " values into " + n + " names");
    return new ArrayList<>(items);
  }

  /** {@code raise E("msg")} in user scripts, lowered like TorchScript's RaiseException. */
  private void raise(Stmt.Raise r) {
    String kind = "Exception";
    Object msg = null;
    if (r.exception() instanceof Expr.Call c) {
      kind = String.valueOf(Expr.dottedName(c.func()));
      if (!c.args().isEmpty()) msg = cx.exprs.eval(c.args().getFirst());
    } else if (r.exception() != null) {
      kind = String.valueOf(Expr.dottedName(r.exception()));
    }
    cx.calls.callQualified("ops.prim.RaiseException", new ArrayList<>(java.util.Arrays.asList(msg, kind)), Map.of());
  }

  /** {@code assert cond, msg}: checked now when known, an {@code assert} op when the condition is a run-time bool. */
  private void assertStmt(Stmt.Assert a) {
    Object cond = cx.exprs.eval(a.test());
    Object msg = a.message() == null ? null : cx.exprs.eval(a.message());
    String message = msg instanceof String s ? s : "assertion failed";
    if (cond instanceof Value v) {
      cx.builder.create(ControlOps.ASSERT, List.of(cx.scalars.truth(v)), Builder.attrs("message", message));
    } else if (!cx.scalars.truthy(cond)) {
      cx.calls.callQualified("ops.prim.RaiseException", new ArrayList<>(List.of(message, "AssertionError")), Map.of());
    }
  }
}
