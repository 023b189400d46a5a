package dev.kiln.frontend.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Type annotations: parsed in signatures and declarations, converted from expressions for annotate(...). */
class TypeExprTest {
  private static TypeExpr paramType(String type) {
    return ScriptParser.parse("def f(x: " + type + "):\n  pass\n", "t.py").function("f").param("x").type();
  }

  private static TypeExpr exprType(String type) {
    Stmt.Assign a = (Stmt.Assign) ScriptParser.parse("def f():\n  y = " + type + "\n", "t.py").function("f").body().getFirst();
    return TypeExpr.fromExpr(a.value());
  }

  @Test
  void primitivesAndContainers() {
    for (String spelling : List.of("Tensor", "int", "float", "bool", "str", "NoneType")) {
      assertEquals(spelling, ((TypeExpr.Primitive) paramType(spelling)).kind().spelling());
      assertEquals(spelling, ((TypeExpr.Primitive) exprType(spelling)).kind().spelling());
    }
    assertEquals(TypeExpr.Prim.NONE, ((TypeExpr.Primitive) paramType("None")).kind());
    assertEquals(TypeExpr.Prim.TENSOR, ((TypeExpr.Primitive) paramType("torch.Tensor")).kind());
    TypeExpr.OptionalOf opt = assertInstanceOf(TypeExpr.OptionalOf.class, paramType("Optional[List[Tensor]]"));
    assertInstanceOf(TypeExpr.ListOf.class, opt.element());
    TypeExpr.TupleOf tuple = assertInstanceOf(TypeExpr.TupleOf.class, paramType("Tuple[Tensor, Optional[Tensor]]"));
    assertEquals(2, tuple.elements().size());
    assertEquals(List.of(), ((TypeExpr.TupleOf) paramType("Tuple[()]")).elements());
    assertEquals(List.of(), ((TypeExpr.TupleOf) exprType("Tuple[()]")).elements());
    TypeExpr.DictOf dict = assertInstanceOf(TypeExpr.DictOf.class, exprType("Dict[str, List[int]]"));
    assertInstanceOf(TypeExpr.ListOf.class, dict.value());
    assertInstanceOf(TypeExpr.FinalOf.class, paramType("Final[int]"));
    assertEquals("Union", ((TypeExpr.Generic) paramType("Union[int, str]")).name());
  }

  @Test
  void qualifiedClassesKeepTheirMangledName() {
    String name = "__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d";
    assertEquals(name, ((TypeExpr.ClassRef) paramType(name)).qualifiedName());
    assertEquals(name, ((TypeExpr.ClassRef) exprType(name)).qualifiedName());
  }

  @Test
  void wrongArityAndNonTypesAreErrors() {
    assertEquals("t.py:1:10: Optional takes 1 type argument, got 2",
        assertThrows(ScriptSyntaxException.class, () -> paramType("Optional[int, str]")).getMessage());
    assertEquals("t.py:1:10: Dict takes 2 type arguments, got 1",
        assertThrows(ScriptSyntaxException.class, () -> paramType("Dict[int]")).getMessage());
    assertEquals("t.py:2:7: expected a type, found an int literal",
        assertThrows(ScriptSyntaxException.class, () -> exprType("3")).getMessage());
  }
}
