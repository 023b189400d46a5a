package dev.kiln.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.IrException;
import org.junit.jupiter.api.Test;

/** Each malformed text fails with sourceName:line:col and what was expected. */
class ParseErrorTest {
  private static ParseException fail(String text) {
    ParseException e = assertThrows(ParseException.class, () -> IrParser.parseModule(text, "bad.kir"));
    assertTrue(e instanceof IrException);
    return e;
  }

  private static void assertError(String text, int line, int col, String expectedPart) {
    ParseException e = fail(text);
    String msg = e.getMessage();
    assertTrue(msg.startsWith("bad.kir:" + line + ":" + col + ": "), "wrong position in: " + msg);
    assertEquals(line, e.line());
    assertEquals(col, e.col());
    assertEquals("bad.kir", e.sourceName());
    assertTrue(msg.contains(expectedPart), "message '" + msg + "' should contain '" + expectedPart + "'");
  }

  @Test
  void unknownOpNamesTheOp() {
    assertError("""
        graph @g(%x: f32[2]) -> (f32[2]) {
          %0 = nn.frobnicate(%x) : f32[2]
          return(%0)
        }
        """, 2, 8, "unknown op 'nn.frobnicate'");
  }

  @Test
  void undefinedValue() {
    assertError("""
        graph @g(%x: f32[2]) -> (f32[2]) {
          %0 = nn.add(%x, %y) : f32[2]
          return(%0)
        }
        """, 2, 19, "undefined value %y");
  }

  @Test
  void valueUsedAfterItsBlockEnded() {
    assertError("""
        graph @g(%c: bool, %x: f32[2]) -> (f32[2]) {
          %r = if(%c) : f32[2] {
            %in = nn.neg(%x) : f32[2]
            yield(%in)
          } {
            yield(%x)
          }
          return(%in)
        }
        """, 8, 10, "%in is not visible here (defined at 3:5");
  }

  @Test
  void ifBlocksCannotUseTheIfsOwnResult() {
    assertError("""
        graph @g(%c: bool) -> (int) {
          %r = if(%c) : int {
            yield(%r)
          } {
            yield(%r)
          }
          return(%r)
        }
        """, 3, 11, "undefined value %r");
  }

  @Test
  void redefinedName() {
    assertError("""
        graph @g(%x: f32[2]) -> (f32[2]) {
          %x = nn.neg(%x) : f32[2]
          return(%x)
        }
        """, 2, 3, "value %x is already defined at 1:10");
  }

  @Test
  void badDtype() {
    assertError("graph @g(%x: f33[2]) -> () {\n  return()\n}\n", 1, 14, "expected a type");
  }

  @Test
  void badDim() {
    assertError("graph @g(%x: f32[2,-1]) -> () {\n  return()\n}\n", 1, 20, "expected a dim size >= 0, got -1");
  }

  @Test
  void dtypeWithoutShape() {
    assertError("graph @g(%x: f32) -> () {\n  return()\n}\n", 1, 17, "expected '[' and a shape after dtype f32");
  }

  @Test
  void quantizedTypeNeedsQuantParameters() {
    assertError("graph @g(%x: qi8[2]) -> () {\n  return()\n}\n", 1, 14, "quantized dtype qi8 needs {q=scale:zero_point}");
  }

  @Test
  void unclosedTypeBracket() {
    assertError("graph @g(%x: list<int) -> () {\n  return()\n}\n", 1, 22, "expected '>' closing list<, got ')'");
  }

  @Test
  void unterminatedString() {
    assertError("""
        graph @g() -> (str) {
          %s = const {value="abc} : str
          return(%s)
        }
        """, 2, 21, "unterminated string");
  }

  @Test
  void unknownEscape() {
    assertError("graph @g() -> () {\n  raise {message=\"a\\qb\"}\n  return()\n}\n", 2, 20, "unknown escape '\\q'");
  }

  @Test
  void missingClosingBraceOfAttributes() {
    assertError("""
        graph @g(%x: f32[2]) -> (f32[2]) {
          %0 = nn.leaky_relu(%x) {negative_slope=0.1 : f32[2]
          return(%0)
        }
        """, 2, 46, "expected ',' or '}' after an attribute, got ':'");
  }

  @Test
  void missingClosingBraceOfGraph() {
    assertError("graph @g(%x: f32[2]) -> (f32[2]) {\n  return(%x)\n", 3, 1, "expected '}' closing graph @g opened at 1:34, got end of input");
  }

  @Test
  void missingClosingBraceOfBlock() {
    assertError("""
        graph @g(%c: bool) -> () {
          if(%c) {
            yield()
        """, 4, 1, "expected '}' closing block 1 of if opened at 2:10, got end of input");
    // A brace missing inside is only noticed where the braces run out: at the graph's end.
    assertError("""
        graph @g(%c: bool) -> () {
          if(%c) {
            yield()
          } {
            yield()
          return()
        }
        """, 8, 1, "expected '}' closing graph @g opened at 1:26, got end of input");
  }

  @Test
  void tooFewResultTypes() {
    assertError("""
        graph @g(%x: f32[2,4]) -> () {
          %a, %b = nn.chunk(%x) {chunks=2, dim=1} : f32[2,2]
          return()
        }
        """, 2, 45, "nn.chunk names 2 result(s), expected as many result types after ':', got 1");
  }

  @Test
  void resultTypesWithoutNames() {
    assertError("""
        graph @g(%x: f32[2]) -> () {
          nn.relu(%x) : f32[2]
          return()
        }
        """, 2, 17, "nn.relu names 0 result(s), expected as many result types after ':', got 1");
  }

  @Test
  void missingResultTypes() {
    assertError("""
        graph @g(%x: f32[2]) -> () {
          %y = nn.relu(%x)
          return()
        }
        """, 3, 3, "nn.relu names 1 result(s), expected as many result types after ':', got 0");
  }

  @Test
  void wrongBlockCount() {
    assertError("""
        graph @g(%c: bool) -> () {
          if(%c) {
            yield()
          }
          return()
        }
        """, 5, 3, "if takes 2 block(s), got 1");
  }

  @Test
  void blockOnAnOpWithoutBlocks() {
    assertError("""
        graph @g(%x: f32[2]) -> (f32[2]) {
          %y = nn.relu(%x) : f32[2] {
            yield(%x)
          }
          return(%y)
        }
        """, 5, 3, "nn.relu takes 0 block(s), got 1");
  }

  @Test
  void headerResultsMustMatchReturn() {
    assertError("graph @g(%x: f32[2]) -> (f32[3]) {\n  return(%x)\n}\n", 1, 25, "declares results (f32[3]) but its return gives (f32[2])");
  }

  @Test
  void badAttributeValue() {
    assertError("graph @g() -> () {\n  raise {message=%x}\n  return()\n}\n", 2, 18, "expected an attribute value");
  }

  @Test
  void nonNumberInAttributeList() {
    assertError("graph @g() -> () {\n  %l = const {value=[1,\"a\"]} : list<int>\n  return()\n}\n", 2, 24, "expected a number in an attribute list, got string \"a\"");
  }

  @Test
  void twoNodesOnOneLine() {
    assertError("graph @g(%x: f32[2]) -> () {\n  %a = nn.relu(%x) : f32[2] %b = nn.relu(%x) : f32[2]\n  return()\n}\n", 2, 29,
        "expected a new line before the next node");
  }

  @Test
  void parseWantsExactlyOneGraph() {
    String two = "graph @a() -> () {\n  return()\n}\n\ngraph @b() -> () {\n  return()\n}\n";
    ParseException e = assertThrows(ParseException.class, () -> IrParser.parse(two, "two.kir"));
    assertTrue(e.getMessage().startsWith("two.kir:5:1: expected end of input after graph @a"), e.getMessage());
    ParseException empty = assertThrows(ParseException.class, () -> IrParser.parse("// nothing\n", "empty.kir"));
    assertTrue(empty.getMessage().startsWith("empty.kir:2:1: expected 'graph'"), empty.getMessage());
  }

  @Test
  void duplicateGraphName() {
    assertError("graph @a() -> () {\n  return()\n}\ngraph @a() -> () {\n  return()\n}\n", 4, 7, "graph @a is already defined at 1:7");
  }

  @Test
  void unexpectedCharacter() {
    assertError("graph @g() -> () {\n  return() $\n}\n", 2, 12, "unexpected character '$'");
  }

  @Test
  void malformedNumber() {
    assertError("graph @g(%x: f32[2x]) -> () {\n  return()\n}\n", 1, 18, "malformed number '2x'");
  }

  @Test
  void unknownTensorAttribute() {
    assertError("graph @g(%x: f32[1,2,3,4]{nchw}) -> () {\n  return()\n}\n", 1, 27, "expected nhwc or q=scale:zero_point");
  }
}
