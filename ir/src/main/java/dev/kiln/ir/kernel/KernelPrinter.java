package dev.kiln.ir.kernel;

import java.util.List;

/**
 * The text form of Kernel IR (for golden tests and {@code --print}); print only, there is no parser. Example:
 *
 * <pre>
 * program @forward
 *   buffer %x: f32[1,4] input 0
 *   buffer %y: f32[1,4] temp
 *   output %y
 * kernel @k0(%x, %y) {  // %y = nn.relu
 *   for %i0 in 0..4 {
 *     %a = load %x[%i0]
 *     store %y[%i0], max(%a, 0.0)
 *   }
 * }
 * </pre>
 *
 * Expressions print nested as {@code op(a, b)}; index arithmetic as {@code %i0*64 + %i1}.
 */
public final class KernelPrinter {
  private KernelPrinter() {}

  public static String print(KernelProgram p) {
    StringBuilder sb = new StringBuilder("program @").append(p.name()).append('\n');
    for (KBuffer b : p.buffers().values()) {
      sb.append("  buffer %").append(b.name()).append(": ").append(b.typeText()).append(' ').append(b.role().name().toLowerCase());
      if (b.source() != null) sb.append(' ').append(b.role() == KBuffer.Role.WEIGHT ? "\"" + b.source() + "\"" : b.role() == KBuffer.Role.ALIAS ? "%" + b.source() : b.source());
      sb.append('\n');
    }
    for (String o : p.outputs()) sb.append("  output %").append(o).append('\n');
    for (int i = 0; i < p.references().size(); i++) {
      sb.append("  reference #").append(i).append(" {\n");
      for (String line : p.references().get(i).strip().split("\n")) sb.append("    ").append(line).append('\n');
      sb.append("  }\n");
    }
    for (Kernel k : p.init()) sb.append("init ").append(print(k));
    for (Kernel k : p.kernels()) sb.append(print(k));
    return sb.toString();
  }

  public static String print(Kernel k) {
    StringBuilder sb = new StringBuilder("kernel @").append(k.name()).append('(');
    for (int i = 0; i < k.params().size(); i++) sb.append(i > 0 ? ", %" : "%").append(k.params().get(i));
    sb.append(") {");
    if (k.origin() != null) sb.append("  // ").append(k.origin());
    sb.append('\n');
    stmts(sb, k.body(), 1);
    return sb.append("}\n").toString();
  }

  private static void stmts(StringBuilder sb, List<Stmt> body, int depth) {
    for (Stmt s : body) stmt(sb, s, depth);
  }

  private static void stmt(StringBuilder sb, Stmt s, int depth) {
    sb.append("  ".repeat(depth));
    switch (s) {
      case Stmt.For f -> {
        sb.append("for %").append(f.var()).append(" in 0..").append(f.extent()).append(" {\n");
        stmts(sb, f.body(), depth + 1);
        sb.append("  ".repeat(depth)).append("}");
      }
      case Stmt.Let l -> sb.append(l.mutable() ? "var %" : "%").append(l.name()).append(" = ").append(expr(l.value()));
      case Stmt.Assign a -> sb.append('%').append(a.name()).append(" := ").append(expr(a.value()));
      case Stmt.Store st -> sb.append("store %").append(st.buffer()).append('[').append(expr(st.index())).append("], ").append(expr(st.value()));
      case Stmt.Gemm g -> sb.append("call gemm(transA=").append(g.transA()).append(", transB=").append(g.transB())
          .append(", m=").append(g.m()).append(", n=").append(g.n()).append(", k=").append(g.k()).append(", alpha=").append(g.alpha())
          .append(", %").append(g.a()).append('[').append(expr(g.offA())).append("], lda=").append(g.lda())
          .append(", %").append(g.b()).append('[').append(expr(g.offB())).append("], ldb=").append(g.ldb())
          .append(", beta=").append(g.beta()).append(", %").append(g.c()).append('[').append(expr(g.offC())).append("], ldc=").append(g.ldc()).append(')');
      case Stmt.Conv c -> sb.append("call ").append(c.nhwc() ? "conv2d_nhwc" : "conv2d").append("(%").append(c.x()).append(", %").append(c.weight())
          .append(", ").append(c.bias() == null ? "none" : "%" + c.bias()).append(", %").append(c.y()).append(", params=")
          .append(java.util.Arrays.toString(c.params()).replace(" ", "")).append(')');
      case Stmt.CallReference r -> {
        sb.append("call_reference #").append(r.ref()).append('(');
        for (int i = 0; i < r.inputs().size(); i++) sb.append(i > 0 ? ", %" : "%").append(r.inputs().get(i));
        sb.append(") -> (");
        for (int i = 0; i < r.outputs().size(); i++) sb.append(i > 0 ? ", %" : "%").append(r.outputs().get(i));
        sb.append(')');
      }
    }
    sb.append('\n');
  }

  /** One expression, nested. */
  public static String expr(Expr e) {
    return switch (e) {
      case Expr.Const c -> constText(c);
      case Expr.Var v -> "%" + v.name();
      case Expr.Load l -> "load %" + l.buffer() + "[" + expr(l.index()) + "]";
      case Expr.Unary u -> u.op().text() + "(" + expr(u.a()) + ")";
      case Expr.Binary b when b.type() == KType.INT && b.op() == Expr.BOp.ADD -> expr(b.a()) + " + " + expr(b.b());
      case Expr.Binary b when b.type() == KType.INT && b.op() == Expr.BOp.MUL -> factor(b.a()) + "*" + factor(b.b());
      case Expr.Binary b -> b.op().text() + "(" + expr(b.a()) + ", " + expr(b.b()) + ")";
      case Expr.Select s -> "select(" + expr(s.cond()) + ", " + expr(s.a()) + ", " + expr(s.b()) + ")";
      case Expr.Cast c -> c.type().text() + "(" + expr(c.a()) + ")";
    };
  }

  private static String factor(Expr e) {
    String s = expr(e);
    return e instanceof Expr.Binary b && b.type() == KType.INT && b.op() == Expr.BOp.ADD ? "(" + s + ")" : s;
  }

  private static String constText(Expr.Const c) {
    return switch (c.type()) {
      case F32 -> {
        float f = (float) c.value();
        yield Float.isNaN(f) ? "nan" : Float.isInfinite(f) ? (f > 0 ? "inf" : "-inf") : Float.toString(f);
      }
      case BOOL -> c.value() != 0 ? "true" : "false";
      case I64 -> (long) c.value() + "L";
      default -> Long.toString((long) c.value());
    };
  }
}
