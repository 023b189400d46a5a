package dev.kiln.ir.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeError;
import java.util.List;
import java.util.Map;

/**
 * One row of the op type-rule tables: an op applied to operand types and attributes, and what must come out.
 * {@link Kind#VALID} rows give the exact result type text; {@link Kind#INVALID} rows give a part of the
 * {@link TypeError} message that names the problem; {@link Kind#WRITTEN} rows are for ops without a type rule
 * (their result types are written), where the schema must accept the operands and attributes.
 */
record OpCase(Kind kind, String op, String operands, Map<String, Attr> attrs, String expect) {
  enum Kind { VALID, INVALID, WRITTEN }

  /** {@code op(operands) {attrs} : expected}; attrs are name/value pairs as {@link Builder#attrs} takes them. */
  static OpCase ok(String op, String operands, String expected, Object... attrs) {
    return new OpCase(Kind.VALID, op, operands, Builder.attrs(attrs), expected);
  }

  /** The rule must throw a TypeError whose message starts with the op name and contains {@code messagePart}. */
  static OpCase bad(String op, String operands, String messagePart, Object... attrs) {
    return new OpCase(Kind.INVALID, op, operands, Builder.attrs(attrs), messagePart);
  }

  /** An op with no type rule: the schema accepts these operands and attributes. */
  static OpCase written(String op, String operands, Object... attrs) {
    return new OpCase(Kind.WRITTEN, op, operands, Builder.attrs(attrs), null);
  }

  /** A readable test name: {@code nn.add(f32[2], f32[2]) {alpha=2} -> f32[2]}. */
  String label() {
    StringBuilder sb = new StringBuilder(op).append('(').append(operands).append(')');
    if (!attrs.isEmpty()) {
      sb.append(" {");
      attrs.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ", ").append(k).append('=').append(v.text()));
      sb.append('}');
    }
    return sb.append(switch (kind) {
      case VALID -> " -> " + expect;
      case INVALID -> " fails: " + expect;
      case WRITTEN -> " : written";
    }).toString();
  }

  void run() {
    OpDef def = Ops.get(op);
    List<Type> types = TypeText.types(operands);
    switch (kind) {
      case VALID -> assertEquals(expect, TypeText.results(def.inferTypes(types, attrs)), label());
      case INVALID -> {
        TypeError e = assertThrows(TypeError.class, () -> def.inferTypes(types, attrs), label());
        assertTrue(e.getMessage().startsWith(op), label() + ": message should start with the op name: " + e.getMessage());
        assertTrue(e.getMessage().contains(expect), label() + ": message was: " + e.getMessage());
      }
      case WRITTEN -> {
        assertFalse(def.hasTypeRule(), op + " has a type rule; give it VALID rows");
        def.checkSchema(types.size(), attrs);
        TypeError e = assertThrows(TypeError.class, () -> def.inferTypes(types, attrs));
        assertTrue(e.getMessage().contains("result types must be given"), e.getMessage());
      }
    }
  }
}
