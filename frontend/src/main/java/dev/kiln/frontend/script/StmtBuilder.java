package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptParser.*;
import dev.kiln.frontend.script.grammar.TorchScriptParserBaseVisitor;
import java.util.ArrayList;
import java.util.List;

/** ANTLR visitor from statement parse trees to {@link Stmt}; checks assignment targets. */
final class StmtBuilder extends TorchScriptParserBaseVisitor<Stmt> {
  private final ExprBuilder exprs;

  StmtBuilder(ExprBuilder exprs) { this.exprs = exprs; }

  /** The statements of an indented block or of a one-line body ({@code if x: return y}). */
  List<Stmt> block(BlockContext ctx) {
    List<Stmt> out = new ArrayList<>();
    if (ctx.simpleStmts() != null) {
      simpleStmts(ctx.simpleStmts(), out);
      return out;
    }
    for (StmtContext s : ctx.stmt()) {
      if (s.simpleStmts() != null) simpleStmts(s.simpleStmts(), out);
      else out.add(visit(s.getChild(0)));
    }
    return out;
  }

  private void simpleStmts(SimpleStmtsContext ctx, List<Stmt> out) {
    for (SimpleStmtContext s : ctx.simpleStmt()) out.add(visit(s));
  }

  @Override
  public Stmt visitPassStmt(PassStmtContext ctx) { return new Stmt.Pass(exprs.pos(ctx)); }

  @Override
  public Stmt visitBreakStmt(BreakStmtContext ctx) { return new Stmt.Break(exprs.pos(ctx)); }

  @Override
  public Stmt visitContinueStmt(ContinueStmtContext ctx) { return new Stmt.Continue(exprs.pos(ctx)); }

  @Override
  public Stmt visitReturnStmt(ReturnStmtContext ctx) {
    return new Stmt.Return(ctx.exprList() == null ? null : exprs.exprList(ctx.exprList()), exprs.pos(ctx));
  }

  @Override
  public Stmt visitRaiseStmt(RaiseStmtContext ctx) {
    Expr exception = ctx.expr().isEmpty() ? null : exprs.visit(ctx.expr(0));
    Expr cause = ctx.expr().size() > 1 ? exprs.visit(ctx.expr(1)) : null;
    return new Stmt.Raise(exception, cause, exprs.pos(ctx));
  }

  @Override
  public Stmt visitAssertStmt(AssertStmtContext ctx) {
    Expr message = ctx.expr().size() > 1 ? exprs.visit(ctx.expr(1)) : null;
    return new Stmt.Assert(exprs.visit(ctx.expr(0)), message, exprs.pos(ctx));
  }

  @Override
  public Stmt visitDelStmt(DelStmtContext ctx) {
    List<Expr> list = ctx.exprList().expr().stream().map(exprs::visit).toList();
    for (Expr e : list) checkTarget(e, false);
    return new Stmt.Delete(list, exprs.pos(ctx));
  }

  @Override
  public Stmt visitExprOrAssignStmt(ExprOrAssignStmtContext ctx) {
    SourcePos pos = exprs.pos(ctx);
    Expr first = exprs.exprList(ctx.exprList());
    return switch (ctx.assignTail()) {
      case null -> new Stmt.ExprStmt(first, pos);
      case AnnAssignTailContext t -> new Stmt.AnnAssign(checkTarget(first, false), exprs.type(t.typeExpr()),
          t.exprList() == null ? null : exprs.exprList(t.exprList()), pos);
      case AugAssignTailContext t -> {
        String symbol = t.augOp().getText();
        Expr.BinaryOperator op = Expr.BinaryOperator.ofSymbol(symbol.substring(0, symbol.length() - 1));
        yield new Stmt.AugAssign(checkTarget(first, false), op, exprs.exprList(t.exprList()), pos);
      }
      case PlainAssignTailContext t -> {
        // a = b = value: every list but the last is a target.
        List<Expr> targets = new ArrayList<>();
        targets.add(checkTarget(first, true));
        List<ExprListContext> rest = t.exprList();
        for (ExprListContext e : rest.subList(0, rest.size() - 1)) targets.add(checkTarget(exprs.exprList(e), true));
        yield new Stmt.Assign(targets, exprs.exprList(rest.getLast()), pos);
      }
      default -> throw new IllegalStateException("unknown assignment form " + ctx.assignTail().getClass());
    };
  }

  @Override
  public Stmt visitIfStmt(IfStmtContext ctx) {
    // if a: A elif b: B else: C  ==  If(a, A, [If(b, B, C)])
    List<Stmt> orElse = ctx.ELSE() != null ? block(ctx.block(ctx.block().size() - 1)) : List.of();
    int conditions = ctx.expr().size();
    for (int i = conditions - 1; i >= 1; i--) {
      ExprContext test = ctx.expr(i);
      orElse = List.of(new Stmt.If(exprs.visit(test), block(ctx.block(i)), orElse, exprs.pos(ctx.ELIF(i - 1).getSymbol())));
    }
    return new Stmt.If(exprs.visit(ctx.expr(0)), block(ctx.block(0)), orElse, exprs.pos(ctx));
  }

  @Override
  public Stmt visitForStmt(ForStmtContext ctx) {
    Expr target = checkTarget(exprs.targetList(ctx.targetList()), true);
    return new Stmt.For(target, exprs.exprList(ctx.exprList()), block(ctx.block()), exprs.pos(ctx));
  }

  @Override
  public Stmt visitWhileStmt(WhileStmtContext ctx) {
    return new Stmt.While(exprs.visit(ctx.expr()), block(ctx.block()), exprs.pos(ctx));
  }

  /**
   * Returns {@code target} if it can be assigned to: a name, attribute or subscript, or (when
   * {@code unpack}) a tuple or list of such targets. Throws at the offending expression otherwise.
   */
  static Expr checkTarget(Expr target, boolean unpack) {
    switch (target) {
      case Expr.Name _, Expr.Attribute _, Expr.Subscript _ -> { }
      case Expr.TupleExpr t when unpack && !t.elements().isEmpty() -> t.elements().forEach(e -> checkTarget(e, true));
      case Expr.ListExpr l when unpack && !l.elements().isEmpty() -> l.elements().forEach(e -> checkTarget(e, true));
      default -> throw new ScriptSyntaxException(target.pos(), "cannot assign to " + Expr.describe(target)
          + ", expected a name, attribute or subscript" + (unpack ? " (or a tuple of them)" : ""));
    }
    return target;
  }
}
