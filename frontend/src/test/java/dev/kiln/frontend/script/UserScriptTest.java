package dev.kiln.frontend.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.frontend.script.Expr.BinaryOperator;
import dev.kiln.frontend.script.Expr.CompareOperator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-written scripts (scripts/*.py) covering every statement and module-level construct. */
class UserScriptTest {
  private final ScriptModule functions = Fixtures.parse("scripts/functions.py");

  @Test
  void importsAreRecorded() {
    List<Import> imports = functions.imports();
    assertEquals(List.of("torch", "F", "List", "Optional", "Tuple", "Dict", "Final", "Any"),
        imports.stream().map(Import::boundName).toList());
    assertEquals(new Import("torch.nn.functional", null, "F", new SourcePos("scripts/functions.py", 3, 8)), imports.get(1));
    assertEquals("typing", imports.get(6).module());
    assertEquals(6, imports.get(7).pos().line(), "parenthesized import list continues on the next line");
  }

  @Test
  void decoratedFunctionWithDefaultsAndDocstring() {
    FunctionDef scale = functions.function("scale");
    assertEquals(10, scale.pos().line());
    assertEquals("torch.jit.script", Expr.dottedName(scale.decorators().getFirst()));
    assertEquals(TypeExpr.Prim.TENSOR, ((TypeExpr.Primitive) scale.param("x").type()).kind());
    assertEquals(2.0, ((Expr.FloatLit) scale.param("factor").defaultValue()).value());
    assertEquals("Multiplies by a factor.", ((Expr.StrLit) ((Stmt.ExprStmt) scale.body().get(0)).value()).value());
    Expr.Binary mul = (Expr.Binary) ((Stmt.Return) scale.body().get(1)).value();
    assertEquals(BinaryOperator.MUL, mul.op());
  }

  @Test
  void parametersWrapOverLinesAndTupleUnpacking() {
    FunctionDef split = functions.function("split_pair");
    assertEquals(List.of("xs", "start"), split.params().stream().map(FunctionDef.Param::name).toList());
    TypeExpr.TupleOf ret = assertInstanceOf(TypeExpr.TupleOf.class, split.returnType());
    assertEquals(2, ret.elements().size());
    Stmt.Assign unpack = (Stmt.Assign) split.body().get(0);
    Expr.TupleExpr targets = assertInstanceOf(Expr.TupleExpr.class, unpack.targets().getFirst());
    assertEquals(List.of("a", "b"), targets.elements().stream().map(e -> ((Expr.Name) e).id()).toList());
    Expr.TupleExpr values = assertInstanceOf(Expr.TupleExpr.class, unpack.value());
    Expr.Subscript second = (Expr.Subscript) values.elements().get(1);
    assertEquals(BinaryOperator.ADD, ((Expr.Binary) second.index()).op());
    assertInstanceOf(Expr.TupleExpr.class, ((Stmt.Return) split.body().get(1)).value());
  }

  @Test
  void everyStatementKind() {
    List<Stmt> body = functions.function("control").body();
    Stmt.AnnAssign total = assertInstanceOf(Stmt.AnnAssign.class, body.get(0));
    assertEquals(TypeExpr.Prim.INT, ((TypeExpr.Primitive) total.annotation()).kind());
    assertEquals(0L, ((Expr.IntLit) total.value()).value());

    Stmt.For loop = assertInstanceOf(Stmt.For.class, body.get(2));
    Stmt.If ifElif = assertInstanceOf(Stmt.If.class, loop.body().getFirst());
    assertEquals(CompareOperator.EQ, ((Expr.Compare) ifElif.test()).ops().getFirst());
    assertInstanceOf(Stmt.Continue.class, ifElif.body().getFirst());
    Stmt.If elif = assertInstanceOf(Stmt.If.class, ifElif.orElse().getFirst());
    assertEquals(28, elif.pos().line());
    assertInstanceOf(Stmt.Break.class, elif.body().getFirst());
    Stmt.AugAssign add = assertInstanceOf(Stmt.AugAssign.class, elif.orElse().getFirst());
    assertEquals(BinaryOperator.ADD, add.op());

    Stmt.While whileLoop = assertInstanceOf(Stmt.While.class, body.get(3));
    assertEquals(BinaryOperator.SUB, ((Stmt.AugAssign) whileLoop.body().get(0)).op());
    Stmt.Assign subscriptTarget = (Stmt.Assign) whileLoop.body().get(1);
    assertInstanceOf(Expr.Subscript.class, subscriptTarget.targets().getFirst());

    Stmt.For overList = assertInstanceOf(Stmt.For.class, body.get(4));
    assertEquals(3, ((Expr.ListExpr) overList.iter()).elements().size());
    assertInstanceOf(Stmt.Pass.class, overList.body().getFirst());

    Stmt.If noneCheck = assertInstanceOf(Stmt.If.class, body.get(5));
    assertEquals(CompareOperator.IS, ((Expr.Compare) noneCheck.test()).ops().getFirst());
    Stmt.Raise raise = assertInstanceOf(Stmt.Raise.class, noneCheck.body().getFirst());
    assertEquals("flag must be set", ((Expr.StrLit) ((Expr.Call) raise.exception()).args().getFirst()).value());
    assertEquals(List.of(), noneCheck.orElse());

    Stmt.Assert check = assertInstanceOf(Stmt.Assert.class, body.get(6));
    assertEquals("n must be non-negative", ((Expr.StrLit) check.message()).value());
    assertInstanceOf(Expr.Attribute.class, ((Stmt.Assign) body.get(8)).targets().getFirst());
    Stmt.AnnAssign dict = assertInstanceOf(Stmt.AnnAssign.class, body.get(9));
    TypeExpr.DictOf dictType = assertInstanceOf(TypeExpr.DictOf.class, dict.annotation());
    assertEquals(TypeExpr.Prim.STR, ((TypeExpr.Primitive) dictType.key()).kind());
    assertEquals(List.of("a", "b"), ((Expr.DictExpr) dict.value()).keys().stream().map(k -> ((Expr.StrLit) k).value()).toList());
    assertInstanceOf(Stmt.Delete.class, body.get(10));
    // print(total); total = total // 2  -- two statements on one line
    assertInstanceOf(Stmt.ExprStmt.class, body.get(11));
    assertEquals(BinaryOperator.FLOOR_DIV, ((Expr.Binary) ((Stmt.Assign) body.get(12)).value()).op());
    assertEquals(body.get(11).pos().line(), body.get(12).pos().line());
    Stmt.Return ret = assertInstanceOf(Stmt.Return.class, body.get(13));
    assertInstanceOf(Expr.IfExp.class, ret.value());
    assertEquals(14, body.size());
  }

  @Test
  void moduleClassMembers() {
    ScriptModule m = Fixtures.parse("scripts/module_class.py");
    assertEquals(List.of("Net", "Empty"), m.classes().stream().map(ClassDef::name).toList());
    ClassDef net = m.classNamed("Net");
    assertEquals("Module", Expr.dottedName(net.bases().getFirst()));
    assertEquals(List.of("weight", "bias"), net.parameters());
    assertEquals(List.of("running_mean"), net.buffers());
    assertInstanceOf(TypeExpr.OptionalOf.class, net.attribute("bias").type());
    assertInstanceOf(TypeExpr.ListOf.class, net.attribute("sizes").type());
    assertEquals(List.of(), ((TypeExpr.TupleOf) net.attribute("nothing").type()).elements());
    assertInstanceOf(TypeExpr.DictOf.class, net.attribute("table").type());
    assertEquals(TypeExpr.Prim.NONE, ((TypeExpr.Primitive) net.attribute("none_attr").type()).kind());
    assertEquals("__torch__.torch.nn.modules.linear.___torch_mangle_3.Linear",
        ((TypeExpr.ClassRef) net.attribute("fc").type()).qualifiedName());
    assertNull(net.attribute("fc").value());
    assertEquals(64L, ((Expr.IntLit) net.attribute("channels").value()).value());
    ClassMember.AnnotationEntry entry = net.annotations().getFirst();
    assertEquals("0", entry.name());
    assertEquals("__torch__.torch.nn.modules.conv.___torch_mangle_47.Conv2d", ((TypeExpr.ClassRef) entry.type()).qualifiedName());
    assertEquals(List.of(), m.classNamed("Empty").members());

    FunctionDef forward = net.method("forward");
    assertEquals(4, forward.params().size());
    assertEquals(1.0, ((Expr.FloatLit) forward.param("scale").defaultValue()).value());
    assertInstanceOf(Expr.NoneLit.class, forward.param("mask").defaultValue());
    Stmt.If isNone = (Stmt.If) forward.body().get(5);
    assertEquals("torch.__is__", Expr.dottedName(((Expr.Call) isNone.test()).func()));
    Expr.Call cast = (Expr.Call) ((Stmt.Assign) isNone.orElse().get(0)).value();
    assertEquals(TypeExpr.Prim.TENSOR, ((TypeExpr.Primitive) TypeExpr.fromExpr(cast.args().getFirst())).kind());
    Expr.Call add = (Expr.Call) ((Stmt.Assign) forward.body().get(7)).value();
    assertEquals(1L, ((Expr.IntLit) add.keyword("alpha")).value());
    assertEquals("CONSTANTS.c0", Expr.dottedName(add.args().get(1)));
    Expr.TupleExpr result = (Expr.TupleExpr) ((Stmt.Return) forward.body().get(9)).value();
    assertEquals("_0", Expr.dottedName(((Expr.Call) result.elements().getFirst()).func()));
  }
}
