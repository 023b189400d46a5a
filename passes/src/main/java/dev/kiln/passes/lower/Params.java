package dev.kiln.passes.lower;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Stmt;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The buffers a kernel body touches, in order of first appearance: its parameter list. */
final class Params {
  private Params() {}

  static List<String> of(List<Stmt> body) {
    Set<String> out = new LinkedHashSet<>();
    stmts(body, out);
    return List.copyOf(out);
  }

  private static void stmts(List<Stmt> body, Set<String> out) {
    for (Stmt s : body) {
      switch (s) {
        case Stmt.For f -> stmts(f.body(), out);
        case Stmt.Let l -> expr(l.value(), out);
        case Stmt.Assign a -> expr(a.value(), out);
        case Stmt.Store st -> { expr(st.index(), out); expr(st.value(), out); out.add(st.buffer()); }
        case Stmt.Gemm g -> { out.add(g.a()); out.add(g.b()); out.add(g.c()); }
        case Stmt.Conv c -> { out.add(c.x()); out.add(c.weight()); if (c.bias() != null) out.add(c.bias()); out.add(c.y()); }
        case Stmt.CallReference r -> { out.addAll(r.inputs()); out.addAll(r.outputs()); }
      }
    }
  }

  private static void expr(Expr e, Set<String> out) {
    switch (e) {
      case Expr.Load l -> { out.add(l.buffer()); expr(l.index(), out); }
      case Expr.Unary u -> expr(u.a(), out);
      case Expr.Binary b -> { expr(b.a(), out); expr(b.b(), out); }
      case Expr.Select s -> { expr(s.cond(), out); expr(s.a(), out); expr(s.b(), out); }
      case Expr.Cast c -> expr(c.a(), out);
      case Expr.Const c -> {}
      case Expr.Var v -> {}
    }
  }
}
