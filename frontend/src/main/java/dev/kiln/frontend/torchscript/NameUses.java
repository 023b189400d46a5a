package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.Expr;
import dev.kiln.frontend.script.ScriptWalker;
import dev.kiln.frontend.script.Stmt;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Which variable names statements read and assign: the liveness that decides what an IR {@code if}/{@code loop} yields. */
final class NameUses {
  private NameUses() {}

  /** Names read by {@code stmts} (nested blocks included); plain assignment targets are not reads. */
  static void reads(List<Stmt> stmts, Set<String> out) {
    for (Stmt s : ScriptWalker.statements(stmts)) {
      switch (s) {
        case Stmt.Assign a -> {
          expr(a.value(), out);
          for (Expr t : a.targets()) target(t, out);
        }
        case Stmt.AnnAssign a -> { if (a.value() != null) expr(a.value(), out); target(a.target(), out); }
        case Stmt.AugAssign a -> { expr(a.target(), out); expr(a.value(), out); }
        case Stmt.If i -> expr(i.test(), out);
        case Stmt.For f -> expr(f.iter(), out);
        case Stmt.While w -> expr(w.test(), out);
        case Stmt.Return r -> { if (r.value() != null) expr(r.value(), out); out.add(Frame.RETURN); }
        case Stmt.ExprStmt e -> expr(e.value(), out);
        case Stmt.Raise r -> { if (r.exception() != null) expr(r.exception(), out); }
        case Stmt.Assert a -> { expr(a.test(), out); if (a.message() != null) expr(a.message(), out); }
        case Stmt.Delete d -> d.targets().forEach(t -> expr(t, out));
        default -> { }
      }
    }
  }

  /** Names assigned anywhere in {@code stmts}: targets of assignments and for loops. */
  static Set<String> assigned(List<Stmt> stmts) {
    Set<String> out = new HashSet<>();
    for (Stmt s : ScriptWalker.statements(stmts)) {
      switch (s) {
        case Stmt.Assign a -> a.targets().forEach(t -> names(t, out));
        case Stmt.AnnAssign a -> names(a.target(), out);
        case Stmt.AugAssign a -> names(a.target(), out);
        case Stmt.For f -> names(f.target(), out);
        default -> { }
      }
    }
    return out;
  }

  /** Names read after the current statement of {@code frame}: the rest of each list, and whole enclosing loop bodies. */
  static Set<String> liveAfter(Frame frame) {
    Set<String> out = new HashSet<>();
    out.add(Frame.RETURN);
    for (Frame.Cursor c : frame.cursors) {
      if (c.loopBody) reads(c.stmts, out);
      else if (c.index + 1 < c.stmts.size()) reads(c.stmts.subList(c.index + 1, c.stmts.size()), out);
    }
    return out;
  }

  private static void target(Expr t, Set<String> out) {
    switch (t) {
      case Expr.Name _ -> { }
      case Expr.TupleExpr te -> te.elements().forEach(e -> target(e, out));
      case Expr.ListExpr le -> le.elements().forEach(e -> target(e, out));
      default -> expr(t, out);
    }
  }

  private static void names(Expr t, Set<String> out) {
    switch (t) {
      case Expr.Name n -> out.add(n.id());
      case Expr.TupleExpr te -> te.elements().forEach(e -> names(e, out));
      case Expr.ListExpr le -> le.elements().forEach(e -> names(e, out));
      default -> { }
    }
  }

  private static void expr(Expr e, Set<String> out) {
    ScriptWalker.walk(e, x -> { if (x instanceof Expr.Name n) out.add(n.id()); });
  }
}
