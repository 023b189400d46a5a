package dev.kiln.frontend.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.frontend.script.Expr.BinaryOperator;
import dev.kiln.frontend.script.Expr.BoolOperator;
import dev.kiln.frontend.script.Expr.CompareOperator;
import dev.kiln.frontend.script.Expr.UnaryOperator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Expressions of scripts/functions.py {@code exprs(...)}: precedence, literals, displays, subscripts, calls. */
class ExpressionTest {
  private final List<Stmt> body = Fixtures.parse("scripts/functions.py").function("exprs").body();

  private Expr value(String target) {
    for (Stmt s : body) {
      if (s instanceof Stmt.Assign a && a.targets().getFirst() instanceof Expr.Name n && n.id().equals(target)) {
        return a.value();
      }
    }
    throw new AssertionError("no assignment to " + target);
  }

  @Test
  void arithmeticPrecedence() {
    // -x ** 2 @ x.t() - (x // 3) % 4  ==  ((-(x ** 2)) @ x.t()) - ((x // 3) % 4)
    Expr.Binary sub = (Expr.Binary) value("a");
    assertEquals(BinaryOperator.SUB, sub.op());
    Expr.Binary matmul = (Expr.Binary) sub.left();
    assertEquals(BinaryOperator.MATMUL, matmul.op());
    Expr.Unary neg = (Expr.Unary) matmul.left();
    assertEquals(UnaryOperator.NEG, neg.op());
    assertEquals(BinaryOperator.POW, ((Expr.Binary) neg.operand()).op());
    assertEquals("x.t", Expr.dottedName(((Expr.Call) matmul.right()).func()));
    Expr.Binary mod = (Expr.Binary) sub.right();
    assertEquals(BinaryOperator.MOD, mod.op());
    assertEquals(BinaryOperator.FLOOR_DIV, ((Expr.Binary) mod.left()).op());
  }

  @Test
  void booleansAndComparisonChains() {
    // not i < 3 <= 5 and i != 4 or i in [1, 2] and i not in [7]
    Expr.BoolOp or = (Expr.BoolOp) value("b");
    assertEquals(BoolOperator.OR, or.op());
    Expr.BoolOp leftAnd = (Expr.BoolOp) or.values().get(0);
    assertEquals(BoolOperator.AND, leftAnd.op());
    Expr.Unary not = (Expr.Unary) leftAnd.values().get(0);
    assertEquals(UnaryOperator.NOT, not.op());
    Expr.Compare chain = (Expr.Compare) not.operand();
    assertEquals(List.of(CompareOperator.LT, CompareOperator.LE), chain.ops());
    assertEquals(List.of(3L, 5L), chain.comparators().stream().map(e -> ((Expr.IntLit) e).value()).toList());
    assertEquals(CompareOperator.NE, ((Expr.Compare) leftAnd.values().get(1)).ops().getFirst());
    Expr.BoolOp rightAnd = (Expr.BoolOp) or.values().get(1);
    assertEquals(CompareOperator.IN, ((Expr.Compare) rightAnd.values().get(0)).ops().getFirst());
    assertEquals(CompareOperator.NOT_IN, ((Expr.Compare) rightAnd.values().get(1)).ops().getFirst());
    Expr.Compare isNot = (Expr.Compare) value("c");
    assertEquals(CompareOperator.IS_NOT, isNot.ops().getFirst());
    assertInstanceOf(Expr.NoneLit.class, isNot.comparators().getFirst());
  }

  @Test
  void subscriptsAndSlices() {
    List<Expr> d = ((Expr.TupleExpr) value("d")).elements();
    assertEquals(0L, ((Expr.IntLit) ((Expr.Subscript) d.get(0)).index()).value());
    Expr.Slice from1 = (Expr.Slice) ((Expr.Subscript) d.get(1)).index();
    assertEquals(1L, ((Expr.IntLit) from1.lower()).value());
    assertNull(from1.upper());
    assertNull(from1.step());
    List<Expr> colon0 = ((Expr.TupleExpr) ((Expr.Subscript) d.get(2)).index()).elements();
    assertEquals(new Expr.Slice(null, null, null, colon0.get(0).pos()), colon0.get(0));
    assertEquals(0L, ((Expr.IntLit) colon0.get(1)).value());
    Expr.Slice step2 = (Expr.Slice) ((Expr.Subscript) d.get(3)).index();
    assertNull(step2.lower());
    assertEquals(2L, ((Expr.IntLit) step2.step()).value());
    List<Expr> ellipsis = ((Expr.TupleExpr) ((Expr.Subscript) d.get(4)).index()).elements();
    assertInstanceOf(Expr.EllipsisLit.class, ellipsis.get(0));
    assertEquals(-1L, ((Expr.IntLit) ellipsis.get(1)).value(), "minus folds into the literal");
    Expr.Slice full = (Expr.Slice) ((Expr.Subscript) d.get(5)).index();
    assertEquals(List.of(1L, 3L, 1L), List.of(full.lower(), full.upper(), full.step()).stream()
        .map(e -> ((Expr.IntLit) e).value()).toList());
  }

  @Test
  void displaysAndNumberLiterals() {
    Expr.Binary tuples = (Expr.Binary) value("e");
    assertEquals(1, ((Expr.TupleExpr) tuples.left()).elements().size());
    assertEquals(2, ((Expr.TupleExpr) tuples.right()).elements().size());
    Expr.DictExpr dict = (Expr.DictExpr) value("f");
    List<Expr> ints = ((Expr.ListExpr) dict.values().get(0)).elements();
    assertEquals(List.of(31L, 7L, 5L, 1000L), ints.stream().map(e -> ((Expr.IntLit) e).value()).toList());
    assertEquals(List.of(), ((Expr.ListExpr) dict.values().get(1)).elements());
    // 1.0000000000000001e-05 + 0. + 1e-5 + .5 - 3.  (left-associative)
    Expr.Binary g = (Expr.Binary) value("g");
    assertEquals(3.0, ((Expr.FloatLit) g.right()).value());
    Expr.Binary half = (Expr.Binary) g.left();
    assertEquals(0.5, ((Expr.FloatLit) half.right()).value());
    Expr.Binary small = (Expr.Binary) half.left();
    assertEquals(1e-5, ((Expr.FloatLit) small.right()).value());
    Expr.Binary first = (Expr.Binary) small.left();
    assertEquals("1.0000000000000001e-05", ((Expr.FloatLit) first.left()).text());
    assertEquals("0.", ((Expr.FloatLit) first.right()).text());
  }

  @Test
  void stringEscapesAndConcatenation() {
    assertEquals("tab\tquote\"back\\slashA\u00e9single's" + "raw\\n", ((Expr.StrLit) value("h")).value());
  }

  @Test
  void comprehensionsCallsAndKeywords() {
    Expr.ListComp comp = (Expr.ListComp) value("k");
    assertEquals(BinaryOperator.MUL, ((Expr.Binary) comp.element()).op());
    assertEquals("j", ((Expr.Name) comp.generator().target()).id());
    assertEquals("range", Expr.dottedName(((Expr.Call) comp.generator().iter()).func()));
    assertEquals(CompareOperator.GT, ((Expr.Compare) comp.generator().conditions().getFirst()).ops().getFirst());

    Expr.Call annotate = (Expr.Call) value("m");
    TypeExpr.ListOf listType = (TypeExpr.ListOf) TypeExpr.fromExpr(annotate.args().get(0));
    assertEquals(TypeExpr.Prim.INT, ((TypeExpr.Primitive) listType.element()).kind());

    Expr.Call relu = (Expr.Call) value("n");
    assertEquals("F.relu", Expr.dottedName(relu.func()));
    assertEquals(1, relu.args().size());
    assertEquals(false, ((Expr.BoolLit) relu.keyword("inplace")).value());

    Expr.Call sum = (Expr.Call) value("o");
    assertEquals("x.sum", Expr.dottedName(sum.func()), "(x).sum is a method call on x");
    assertEquals(List.of("dim", "keepdim"), sum.keywords().stream().map(Expr.Keyword::name).toList());
  }

  @Test
  void bitwisePrecedenceAndConditional() {
    // ~i | 1 & 2 ^ 3 << 1 >> 2  ==  (~i) | ((1 & 2) ^ ((3 << 1) >> 2))
    Expr.Binary or = (Expr.Binary) value("p");
    assertEquals(BinaryOperator.BIT_OR, or.op());
    assertEquals(UnaryOperator.INVERT, ((Expr.Unary) or.left()).op());
    Expr.Binary xor = (Expr.Binary) or.right();
    assertEquals(BinaryOperator.BIT_XOR, xor.op());
    assertEquals(BinaryOperator.BIT_AND, ((Expr.Binary) xor.left()).op());
    Expr.Binary shr = (Expr.Binary) xor.right();
    assertEquals(BinaryOperator.RSHIFT, shr.op());
    assertEquals(BinaryOperator.LSHIFT, ((Expr.Binary) shr.left()).op());
    Expr.IfExp cond = (Expr.IfExp) value("q");
    assertEquals(false, ((Expr.BoolLit) cond.test()).value());
    assertEquals(true, ((Expr.BoolLit) cond.body()).value());
    assertInstanceOf(Expr.NoneLit.class, cond.orElse());
  }

  @Test
  void positionsAreOneBasedLineAndColumn() {
    Stmt first = body.getFirst();
    assertEquals(new SourcePos("scripts/functions.py", 49, 5), first.pos());
    assertEquals(new SourcePos("scripts/functions.py", 49, 9), ((Stmt.Assign) first).value().pos());
  }
}
