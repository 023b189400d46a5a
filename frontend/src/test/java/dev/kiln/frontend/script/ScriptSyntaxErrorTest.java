package dev.kiln.frontend.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.IrException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

/** Syntax errors name file:line:col and what was expected, and print nothing. */
class ScriptSyntaxErrorTest {
  private static ScriptSyntaxException fail(String source) {
    return assertThrows(ScriptSyntaxException.class, () -> ScriptParser.parse(source, "bad.py"));
  }

  @Test
  void inconsistentDedent() {
    ScriptSyntaxException e = fail("def f(x: int) -> int:\n    y = x\n  return y\n");
    assertEquals("bad.py:3:3: unindent does not match any outer indentation level", e.getMessage());
    assertEquals(new SourcePos("bad.py", 3, 3), e.pos());
  }

  @Test
  void unexpectedIndent() {
    assertEquals("bad.py:3:9: unexpected indent, expected an expression, 'assert', 'break', 'continue', 'del', "
        + "'for', 'if', 'pass' or another token", fail("def f(x):\n    return x\n        y = 1\n").getMessage());
    assertTrue(fail("  def f(x):\n    return x\n").getMessage().startsWith("bad.py:1:3: unexpected indent, expected '@', 'class'"));
  }

  @Test
  void missingIndentedBlock() {
    assertEquals("bad.py:2:1: unexpected 'return', expected an indented block",
        fail("def f(x):\nreturn x\n").getMessage());
  }

  @Test
  void unclosedParenthesis() {
    // Statement keywords cannot occur inside brackets, so the open bracket is reported right away...
    assertEquals("bad.py:2:10: '(' was never closed", fail("def f(x):\n    y = g(x\n    return y\n").getMessage());
    // ...and at the end of the file otherwise.
    assertEquals("bad.py:2:12: '[' was never closed", fail("def f(x):\n    return [x,\n  x\n").getMessage());
  }

  @Test
  void unbalancedClosingBracket() {
    assertEquals("bad.py:2:13: unexpected ')', expected ';' or end of line", fail("def f(x):\n    return x)\n").getMessage());
  }

  @Test
  void badTokens() {
    assertEquals("bad.py:2:11: unexpected character '$'", fail("def f(x):\n    y = x $ 2\n").getMessage());
    assertEquals("bad.py:2:9: unterminated string literal", fail("def f(x):\n    y = 'abc\n").getMessage());
    assertEquals("bad.py:1:8: unexpected character '?'", fail("class A?:\n  pass\n").getMessage());
  }

  @Test
  void missingColonAndExpression() {
    assertEquals("bad.py:1:9: unexpected end of line, expected '->' or ':'", fail("def f(x)\n    return x\n").getMessage());
    assertEquals("bad.py:2:15: unexpected end of line, expected an expression", fail("def f(x):\n    return x +\n").getMessage());
  }

  @Test
  void invalidAssignmentTargetsAndArguments() {
    assertEquals("bad.py:2:5: cannot assign to a call, expected a name, attribute or subscript (or a tuple of them)",
        fail("def f(x):\n    f(x) = 3\n").getMessage());
    assertEquals("bad.py:2:5: cannot assign to a tuple, expected a name, attribute or subscript",
        fail("def f(x):\n    a, b += 1\n").getMessage());
    assertEquals("bad.py:2:17: positional argument follows keyword argument", fail("def f(x):\n    g(x, dim=1, x)\n").getMessage());
    assertEquals("bad.py:1:12: parameter 'y' without a default follows one with a default",
        fail("def f(x=1, y):\n    pass\n").getMessage());
    assertEquals("bad.py:2:3: unexpected subscript assignment to 'x' in a class body, expected __annotations__[\"name\"] = Type",
        fail("class A(Module):\n  x[\"0\"] = int\n").getMessage());
  }

  @Test
  void integerOutOfRange() {
    assertEquals("bad.py:2:12: integer literal 9223372036854775808 does not fit in 64 bits",
        fail("def f():\n    return 9223372036854775808\n").getMessage());
    Stmt.Return ret = (Stmt.Return) ScriptParser.parse("def f():\n    return -9223372036854775808\n", "ok.py")
        .function("f").body().getFirst();
    assertEquals(Long.MIN_VALUE, ((Expr.IntLit) ret.value()).value());
  }

  @Test
  void isAnIrExceptionAndPrintsNothing() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (PrintStream sink = new PrintStream(captured)) {
      System.setOut(sink);
      System.setErr(sink);
      assertThrows(IrException.class, () -> ScriptParser.parse("def f(:\n", "bad.py"));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
    assertEquals("", captured.toString());
  }

  @Test
  void blankAndCommentLinesAndBracketsDoNotAffectIndentation() {
    String source = "# header\n\ndef f(x,\n  y):\n    # comment at another depth\n\n      # deeper comment\n"
        + "    z = [x,\ny]\n    return z  # trailing\n\n\n";
    FunctionDef f = ScriptParser.parse(source, "ok.py").function("f");
    assertEquals(2, f.body().size());
    assertEquals(8, f.body().get(0).pos().line());
    assertEquals(10, f.body().get(1).pos().line());
  }
}
