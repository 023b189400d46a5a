package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptParser;
import dev.kiln.frontend.script.grammar.TorchScriptParser.*;
import dev.kiln.frontend.script.grammar.TorchScriptParserBaseVisitor;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/** ANTLR visitor from expression, primary and type parse trees to {@link Expr} and {@link TypeExpr}. */
final class ExprBuilder extends TorchScriptParserBaseVisitor<Expr> {
  private final String fileName;

  ExprBuilder(String fileName) { this.fileName = fileName; }

  SourcePos pos(Token t) { return new SourcePos(fileName, t.getLine(), t.getCharPositionInLine() + 1); }

  SourcePos pos(ParserRuleContext ctx) { return pos(ctx.getStart()); }

  /** A comma-separated list: one expression stays itself; several, or a trailing comma, make a tuple. */
  Expr exprList(ExprListContext ctx) {
    List<Expr> items = ctx.expr().stream().map(this::visit).toList();
    return items.size() == 1 && ctx.COMMA().isEmpty() ? items.getFirst() : new Expr.TupleExpr(items, pos(ctx));
  }

  /** Loop targets: like {@link #exprList} but made of primaries. */
  Expr targetList(TargetListContext ctx) {
    List<Expr> items = ctx.primary().stream().map(this::visit).toList();
    return items.size() == 1 && ctx.COMMA().isEmpty() ? items.getFirst() : new Expr.TupleExpr(items, pos(ctx));
  }

  // ---- operators ----

  @Override
  public Expr visitPrimaryExpr(PrimaryExprContext ctx) { return visit(ctx.primary()); }

  @Override
  public Expr visitPowerExpr(PowerExprContext ctx) { return binary(ctx.expr(0), "**", ctx.expr(1), ctx); }

  @Override
  public Expr visitMulExpr(MulExprContext ctx) { return binary(ctx.expr(0), ctx.op.getText(), ctx.expr(1), ctx); }

  @Override
  public Expr visitAddExpr(AddExprContext ctx) { return binary(ctx.expr(0), ctx.op.getText(), ctx.expr(1), ctx); }

  @Override
  public Expr visitShiftExpr(ShiftExprContext ctx) { return binary(ctx.expr(0), ctx.op.getText(), ctx.expr(1), ctx); }

  @Override
  public Expr visitBitAndExpr(BitAndExprContext ctx) { return binary(ctx.expr(0), "&", ctx.expr(1), ctx); }

  @Override
  public Expr visitBitXorExpr(BitXorExprContext ctx) { return binary(ctx.expr(0), "^", ctx.expr(1), ctx); }

  @Override
  public Expr visitBitOrExpr(BitOrExprContext ctx) { return binary(ctx.expr(0), "|", ctx.expr(1), ctx); }

  private Expr binary(ExprContext left, String symbol, ExprContext right, ParserRuleContext ctx) {
    return new Expr.Binary(visit(left), Expr.BinaryOperator.ofSymbol(symbol), visit(right), pos(ctx));
  }

  @Override
  public Expr visitUnaryExpr(UnaryExprContext ctx) {
    SourcePos pos = pos(ctx);
    if (ctx.op.getType() == TorchScriptParser.MINUS
        && ctx.expr() instanceof PrimaryExprContext p && p.primary() instanceof AtomPrimaryContext a) {
      // -literal folds into the literal so that the most negative int64 can be written.
      if (a.atom() instanceof IntAtomContext i) {
        return new Expr.IntLit(Literals.parseInt(i.INT().getText(), true, pos), pos);
      }
      if (a.atom() instanceof FloatAtomContext f) {
        return new Expr.FloatLit(-Literals.parseFloat(f.FLOAT().getText()), "-" + f.FLOAT().getText(), pos);
      }
    }
    Expr.UnaryOperator op = switch (ctx.op.getType()) {
      case TorchScriptParser.MINUS -> Expr.UnaryOperator.NEG;
      case TorchScriptParser.PLUS -> Expr.UnaryOperator.POS;
      default -> Expr.UnaryOperator.INVERT;
    };
    return new Expr.Unary(op, visit(ctx.expr()), pos);
  }

  @Override
  public Expr visitNotExpr(NotExprContext ctx) {
    return new Expr.Unary(Expr.UnaryOperator.NOT, visit(ctx.expr()), pos(ctx));
  }

  @Override
  public Expr visitCompareExpr(CompareExprContext ctx) {
    Expr.CompareOperator op = compareOp(ctx.compOp());
    Expr right = visit(ctx.expr(1));
    // a < b < c arrives as (a < b) < c; Python means a < b and b < c, so extend the left chain.
    if (ctx.expr(0) instanceof CompareExprContext && visit(ctx.expr(0)) instanceof Expr.Compare chain) {
      List<Expr.CompareOperator> ops = new ArrayList<>(chain.ops());
      List<Expr> comparators = new ArrayList<>(chain.comparators());
      ops.add(op);
      comparators.add(right);
      return new Expr.Compare(chain.left(), ops, comparators, chain.pos());
    }
    return new Expr.Compare(visit(ctx.expr(0)), List.of(op), List.of(right), pos(ctx));
  }

  private static Expr.CompareOperator compareOp(CompOpContext ctx) {
    if (ctx.IS() != null) return ctx.NOT() != null ? Expr.CompareOperator.IS_NOT : Expr.CompareOperator.IS;
    if (ctx.IN() != null) return ctx.NOT() != null ? Expr.CompareOperator.NOT_IN : Expr.CompareOperator.IN;
    return switch (ctx.getStart().getType()) {
      case TorchScriptParser.EQEQ -> Expr.CompareOperator.EQ;
      case TorchScriptParser.NOTEQ -> Expr.CompareOperator.NE;
      case TorchScriptParser.LT -> Expr.CompareOperator.LT;
      case TorchScriptParser.LE -> Expr.CompareOperator.LE;
      case TorchScriptParser.GT -> Expr.CompareOperator.GT;
      default -> Expr.CompareOperator.GE;
    };
  }

  @Override
  public Expr visitAndExpr(AndExprContext ctx) { return boolOp(Expr.BoolOperator.AND, ctx.expr(0), ctx.expr(1), ctx); }

  @Override
  public Expr visitOrExpr(OrExprContext ctx) { return boolOp(Expr.BoolOperator.OR, ctx.expr(0), ctx.expr(1), ctx); }

  private Expr boolOp(Expr.BoolOperator op, ExprContext left, ExprContext right, ParserRuleContext ctx) {
    Expr l = visit(left);
    List<Expr> values = new ArrayList<>();
    boolean sameOp = op == Expr.BoolOperator.AND ? left instanceof AndExprContext : left instanceof OrExprContext;
    if (sameOp && l instanceof Expr.BoolOp b) values.addAll(b.values());
    else values.add(l);
    values.add(visit(right));
    return new Expr.BoolOp(op, values, pos(ctx));
  }

  @Override
  public Expr visitCondExpr(CondExprContext ctx) {
    return new Expr.IfExp(visit(ctx.expr(1)), visit(ctx.expr(0)), visit(ctx.expr(2)), pos(ctx));
  }

  // ---- primaries ----

  @Override
  public Expr visitAtomPrimary(AtomPrimaryContext ctx) { return visit(ctx.atom()); }

  @Override
  public Expr visitAttributePrimary(AttributePrimaryContext ctx) {
    return new Expr.Attribute(visit(ctx.primary()), ctx.NAME().getText(), pos(ctx));
  }

  @Override
  public Expr visitCallPrimary(CallPrimaryContext ctx) {
    List<Expr> args = new ArrayList<>();
    List<Expr.Keyword> keywords = new ArrayList<>();
    if (ctx.argList() != null) {
      for (ArgumentContext a : ctx.argList().argument()) {
        if (a instanceof KeywordArgContext k) {
          String name = k.NAME().getText();
          if (keywords.stream().anyMatch(kw -> kw.name().equals(name))) {
            throw new ScriptSyntaxException(pos(k), "keyword argument '" + name + "' repeated");
          }
          keywords.add(new Expr.Keyword(name, visit(k.expr()), pos(k)));
        } else {
          if (!keywords.isEmpty()) {
            throw new ScriptSyntaxException(pos(a), "positional argument follows keyword argument");
          }
          args.add(visit(((PositionalArgContext) a).expr()));
        }
      }
    }
    return new Expr.Call(visit(ctx.primary()), args, keywords, pos(ctx));
  }

  @Override
  public Expr visitSubscriptPrimary(SubscriptPrimaryContext ctx) {
    SubscriptListContext list = ctx.subscriptList();
    List<Expr> items = list.subscript().stream().map(this::visit).toList();
    Expr index = items.size() == 1 && list.COMMA().isEmpty() ? items.getFirst() : new Expr.TupleExpr(items, pos(list));
    return new Expr.Subscript(visit(ctx.primary()), index, pos(ctx));
  }

  @Override
  public Expr visitSubscript(SubscriptContext ctx) {
    if (ctx.colon == null) return visit(ctx.lower);
    return new Expr.Slice(optional(ctx.lower), optional(ctx.upper), optional(ctx.step), pos(ctx));
  }

  private Expr optional(ExprContext ctx) { return ctx == null ? null : visit(ctx); }

  // ---- atoms ----

  /** {@code ()} and {@code (a,)} are tuples, {@code (a)} is just {@code a}. */
  @Override
  public Expr visitParenAtom(ParenAtomContext ctx) {
    if (ctx.expr().size() == 1 && ctx.COMMA().isEmpty()) return visit(ctx.expr(0));
    return new Expr.TupleExpr(exprs(ctx.expr()), pos(ctx));
  }

  @Override
  public Expr visitListAtom(ListAtomContext ctx) {
    if (ctx.compFor() != null) return new Expr.ListComp(visit(ctx.expr(0)), comprehension(ctx.compFor()), pos(ctx));
    return new Expr.ListExpr(exprs(ctx.expr()), pos(ctx));
  }

  @Override
  public Expr visitDictAtom(DictAtomContext ctx) {
    if (ctx.compFor() != null) {
      DictEntryContext e = ctx.dictEntry(0);
      return new Expr.DictComp(visit(e.key), visit(e.value), comprehension(ctx.compFor()), pos(ctx));
    }
    List<Expr> keys = ctx.dictEntry().stream().map(e -> visit(e.key)).toList();
    List<Expr> values = ctx.dictEntry().stream().map(e -> visit(e.value)).toList();
    return new Expr.DictExpr(keys, values, pos(ctx));
  }

  private Expr.Comprehension comprehension(CompForContext ctx) {
    Expr target = StmtBuilder.checkTarget(targetList(ctx.targetList()), true);
    List<Expr> conditions = ctx.expr().subList(1, ctx.expr().size()).stream().map(this::visit).toList();
    return new Expr.Comprehension(target, visit(ctx.expr(0)), conditions, pos(ctx));
  }

  @Override
  public Expr visitNameAtom(NameAtomContext ctx) { return new Expr.Name(ctx.NAME().getText(), pos(ctx)); }

  @Override
  public Expr visitIntAtom(IntAtomContext ctx) {
    return new Expr.IntLit(Literals.parseInt(ctx.INT().getText(), false, pos(ctx)), pos(ctx));
  }

  @Override
  public Expr visitFloatAtom(FloatAtomContext ctx) {
    String text = ctx.FLOAT().getText();
    return new Expr.FloatLit(Literals.parseFloat(text), text, pos(ctx));
  }

  @Override
  public Expr visitStringAtom(StringAtomContext ctx) { return new Expr.StrLit(strings(ctx.STRING()), pos(ctx)); }

  /** Adjacent string literals, decoded and joined. */
  String strings(List<TerminalNode> tokens) {
    StringBuilder sb = new StringBuilder();
    for (TerminalNode t : tokens) sb.append(Literals.parseString(t.getText(), pos(t.getSymbol())));
    return sb.toString();
  }

  @Override
  public Expr visitNoneAtom(NoneAtomContext ctx) { return new Expr.NoneLit(pos(ctx)); }

  @Override
  public Expr visitTrueAtom(TrueAtomContext ctx) { return new Expr.BoolLit(true, pos(ctx)); }

  @Override
  public Expr visitFalseAtom(FalseAtomContext ctx) { return new Expr.BoolLit(false, pos(ctx)); }

  @Override
  public Expr visitEllipsisAtom(EllipsisAtomContext ctx) { return new Expr.EllipsisLit(pos(ctx)); }

  private List<Expr> exprs(List<ExprContext> ctxs) { return ctxs.stream().map(this::visit).toList(); }

  // ---- types ----

  TypeExpr type(TypeExprContext ctx) {
    if (ctx instanceof NamedTypeContext named) {
      String name = named.dottedName().NAME().stream().map(TerminalNode::getText)
          .reduce((a, b) -> a + "." + b).orElseThrow();
      List<TypeExpr> args = null;
      if (named.typeArgs() != null) {
        args = new ArrayList<>();
        for (TypeArgContext arg : named.typeArgs().typeArg()) {
          // Tuple[()] is the empty tuple type: `()` contributes no element.
          if (arg instanceof TypeArgTypeContext t) args.add(type(t.typeExpr()));
        }
      }
      return TypeExpr.of(name, args, pos(ctx));
    }
    return new TypeExpr.Primitive(TypeExpr.Prim.NONE, pos(ctx));
  }
}
