package dev.kiln.ir.text;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Layout;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.text.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code type} production of docs/ir.md: tensor types with shape, layout and quantization, the
 * scalar kinds, and tuple, list and optional types.
 */
final class TypeParser {
  private static final String EXPECTED_TYPE =
      "a type (a dtype such as f32 followed by a shape, int, float, bool, str, none, tuple<>, list<>, optional<>)";

  private final TokenCursor in;

  TypeParser(TokenCursor in) { this.in = in; }

  Type type() {
    Token t = in.peek();
    if (!t.is(Kind.NAME)) throw in.fail(t, "expected " + EXPECTED_TYPE + ", got " + t.describe());
    DType dtype = DType.fromText(t.text());
    // 'bool' is both a dtype and a scalar kind: a following '[' makes it a tensor.
    if (dtype != null && in.peek(1).is(Kind.LBRACKET)) {
      in.next();
      return tensor(t, dtype);
    }
    switch (t.text()) {
      case "tuple" -> {
        in.next();
        in.expect(Kind.LANGLE, "'<' after tuple");
        List<Type> elements = new ArrayList<>();
        if (!in.at(Kind.RANGLE)) {
          do elements.add(type()); while (in.accept(Kind.COMMA));
        }
        in.expect(Kind.RANGLE, "',' or '>' in tuple type");
        return new TupleType(elements);
      }
      case "list", "optional" -> {
        in.next();
        in.expect(Kind.LANGLE, "'<' after " + t.text());
        Type element = type();
        in.expect(Kind.RANGLE, "'>' closing " + t.text() + "<");
        return t.text().equals("list") ? new ListType(element) : new OptionalType(element);
      }
      default -> { }
    }
    PrimType prim = PrimType.fromText(t.text());
    if (prim != null) {
      in.next();
      return prim;
    }
    if (dtype != null) throw in.fail(in.peek(1), "expected '[' and a shape after dtype " + t.text() + ", got " + in.peek(1).describe());
    throw in.fail(t, "expected " + EXPECTED_TYPE + ", got " + t.describe());
  }

  private TensorType tensor(Token dtypeToken, DType dtype) {
    Shape shape = shape();
    Layout layout = Layout.CONTIGUOUS;
    Quant quant = null;
    // Tensor attributes sit on the same line; a '{' that ends the line opens a block instead.
    if (in.at(Kind.LBRACE) && !in.peek(1).newlineBefore() && !in.peek(1).is(Kind.RBRACE)) {
      in.next();
      if (in.peek().is(Kind.NAME) && Layout.fromText(in.peek().text()) != null) {
        layout = Layout.fromText(in.next().text());
        if (in.accept(Kind.COMMA)) quant = quant();
      } else {
        quant = quant();
      }
      in.expect(Kind.RBRACE, "'}' closing tensor attributes");
    }
    if (dtype.isQuantized() != (quant != null))
      throw in.fail(dtypeToken, dtype.isQuantized() ? "quantized dtype " + dtype.text() + " needs {q=scale:zero_point}"
          : "dtype " + dtype.text() + " is not quantized, remove q=...");
    return new TensorType(dtype, shape, layout, quant);
  }

  private Shape shape() {
    in.expect(Kind.LBRACKET, "'[' starting a shape");
    if (in.accept(Kind.RBRACKET)) return Shape.SCALAR;
    if (in.accept(Kind.STAR)) {
      in.expect(Kind.RBRACKET, "']' after '*' in an unranked shape");
      return Shape.UNRANKED;
    }
    List<Dim> dims = new ArrayList<>();
    do {
      Token t = in.next();
      dims.add(switch (t.kind()) {
        case INT -> {
          long n = parseLong(t);
          if (n < 0) throw in.fail(t, "expected a dim size >= 0, got " + t.text());
          yield Dim.of(n);
        }
        case NAME -> Dim.sym(t.text());
        case QUESTION -> Dim.UNKNOWN;
        default -> throw in.fail(t, "expected a dim (a size, a symbol such as N, or ?), got " + t.describe());
      });
    } while (in.accept(Kind.COMMA));
    in.expect(Kind.RBRACKET, "',' or ']' in shape");
    return Shape.of(dims);
  }

  // quant := 'q=' FLOAT ':' INT | 'q(axis=' INT ')=[' FLOAT ':' INT (',' FLOAT ':' INT)* ']'
  private Quant quant() {
    Token q = in.peek();
    if (!q.isName("q")) throw in.fail(q, "expected nhwc or q=scale:zero_point in tensor attributes, got " + q.describe());
    in.next();
    if (in.accept(Kind.EQUALS)) {
      double scale = number();
      in.expect(Kind.COLON, "':' between scale and zero point");
      return Quant.perTensor(scale, parseLong(in.expect(Kind.INT, "an integer zero point")));
    }
    in.expect(Kind.LPAREN, "'=' or '(axis=' after q");
    in.expectName("axis");
    in.expect(Kind.EQUALS, "'=' after axis");
    Token axisTok = in.expect(Kind.INT, "an integer axis");
    long axis = parseLong(axisTok);
    if (axis < 0) throw in.fail(axisTok, "expected a quantization axis >= 0, got " + axis);
    in.expect(Kind.RPAREN, "')' after the axis");
    in.expect(Kind.EQUALS, "'=' before the per-channel list");
    in.expect(Kind.LBRACKET, "'[' starting per-channel scale:zero_point pairs");
    List<Double> scales = new ArrayList<>();
    List<Long> zeros = new ArrayList<>();
    do {
      scales.add(number());
      in.expect(Kind.COLON, "':' between scale and zero point");
      zeros.add(parseLong(in.expect(Kind.INT, "an integer zero point")));
    } while (in.accept(Kind.COMMA));
    in.expect(Kind.RBRACKET, "',' or ']' in per-channel quantization");
    return new Quant((int) axis, scales, zeros);
  }

  private double number() {
    Token t = in.next();
    if (t.is(Kind.FLOAT)) return parseDouble(t);
    if (t.is(Kind.INT)) return parseLong(t);
    throw in.fail(t, "expected a number, got " + t.describe());
  }

  static double parseDouble(Token t) {
    return switch (t.text()) {
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> Double.parseDouble(t.text());
    };
  }

  long parseLong(Token t) {
    try {
      return Long.parseLong(t.text());
    } catch (NumberFormatException e) {
      throw in.fail(t, "integer " + t.text() + " does not fit in 64 bits");
    }
  }
}
