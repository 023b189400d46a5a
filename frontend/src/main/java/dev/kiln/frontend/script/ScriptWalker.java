package dev.kiln.frontend.script;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pre-order traversal of statements and expressions: each node is passed to the visitor before
 * its children, children in source order. Types (TypeExpr) are not visited. Useful for analyses
 * that look for a construct anywhere in a body (free names, called functions, counts).
 */
public final class ScriptWalker {
  private final Consumer<Stmt> onStmt;
  private final Consumer<Expr> onExpr;

  private ScriptWalker(Consumer<Stmt> onStmt, Consumer<Expr> onExpr) {
    this.onStmt = onStmt;
    this.onExpr = onExpr;
  }

  /** Visits every statement and expression of {@code body}; neither consumer may be null. */
  public static void walk(List<Stmt> body, Consumer<Stmt> onStmt, Consumer<Expr> onExpr) {
    new ScriptWalker(onStmt, onExpr).stmts(body);
  }

  /** Visits {@code e} and every expression below it; the consumer may not be null. */
  public static void walk(Expr e, Consumer<Expr> onExpr) {
    new ScriptWalker(s -> { }, onExpr).expr(e);
  }

  /** All expressions under {@code body}, in pre-order. */
  public static List<Expr> expressions(List<Stmt> body) {
    List<Expr> out = new ArrayList<>();
    walk(body, s -> { }, out::add);
    return out;
  }

  /** All statements under {@code body} including nested blocks, in pre-order. */
  public static List<Stmt> statements(List<Stmt> body) {
    List<Stmt> out = new ArrayList<>();
    walk(body, out::add, e -> { });
    return out;
  }

  private void stmts(List<Stmt> body) {
    for (Stmt s : body) stmt(s);
  }

  private void stmt(Stmt s) {
    onStmt.accept(s);
    switch (s) {
      case Stmt.Assign a -> { a.targets().forEach(this::expr); expr(a.value()); }
      case Stmt.AnnAssign a -> { expr(a.target()); opt(a.value()); }
      case Stmt.AugAssign a -> { expr(a.target()); expr(a.value()); }
      case Stmt.If i -> { expr(i.test()); stmts(i.body()); stmts(i.orElse()); }
      case Stmt.For f -> { expr(f.target()); expr(f.iter()); stmts(f.body()); }
      case Stmt.While w -> { expr(w.test()); stmts(w.body()); }
      case Stmt.Return r -> opt(r.value());
      case Stmt.Raise r -> { opt(r.exception()); opt(r.cause()); }
      case Stmt.Assert a -> { expr(a.test()); opt(a.message()); }
      case Stmt.Delete d -> d.targets().forEach(this::expr);
      case Stmt.ExprStmt e -> expr(e.value());
      case Stmt.Break _, Stmt.Continue _, Stmt.Pass _ -> { }
    }
  }

  private void opt(Expr e) {
    if (e != null) expr(e);
  }

  private void expr(Expr e) {
    onExpr.accept(e);
    switch (e) {
      case Expr.Attribute a -> expr(a.value());
      case Expr.Call c -> {
        expr(c.func());
        c.args().forEach(this::expr);
        c.keywords().forEach(k -> expr(k.value()));
      }
      case Expr.Subscript s -> { expr(s.value()); expr(s.index()); }
      case Expr.Slice s -> { opt(s.lower()); opt(s.upper()); opt(s.step()); }
      case Expr.ListExpr l -> l.elements().forEach(this::expr);
      case Expr.TupleExpr t -> t.elements().forEach(this::expr);
      case Expr.DictExpr d -> {
        for (int i = 0; i < d.keys().size(); i++) { expr(d.keys().get(i)); expr(d.values().get(i)); }
      }
      case Expr.ListComp l -> { comprehension(l.generator()); expr(l.element()); }
      case Expr.DictComp d -> { comprehension(d.generator()); expr(d.key()); expr(d.value()); }
      case Expr.Unary u -> expr(u.operand());
      case Expr.Binary b -> { expr(b.left()); expr(b.right()); }
      case Expr.Compare c -> { expr(c.left()); c.comparators().forEach(this::expr); }
      case Expr.BoolOp b -> b.values().forEach(this::expr);
      case Expr.IfExp i -> { expr(i.test()); expr(i.body()); expr(i.orElse()); }
      case Expr.Name _, Expr.IntLit _, Expr.FloatLit _, Expr.StrLit _, Expr.BoolLit _, Expr.NoneLit _,
          Expr.EllipsisLit _ -> { }
    }
  }

  private void comprehension(Expr.Comprehension c) {
    expr(c.iter());
    expr(c.target());
    c.conditions().forEach(this::expr);
  }
}
