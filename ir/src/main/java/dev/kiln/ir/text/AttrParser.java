package dev.kiln.ir.text;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.text.Token.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads node attributes, {@code {name=attr, ...}}, into an ordered map of {@link Attr} records: INT to
 * {@link Attr.Int}, FLOAT to {@link Attr.Float}, {@code [1,2]} to {@link Attr.Ints}, {@code [1.0]} (or a mix of
 * ints and floats) to {@link Attr.Floats}, {@code []} to an empty {@link Attr.Ints}, dtype names to
 * {@link Attr.DTypeAttr}, {@code none} to {@link Attr.None}.
 */
final class AttrParser {
  private final TokenCursor in;
  private final TypeParser numbers;

  AttrParser(TokenCursor in, TypeParser numbers) {
    this.in = in;
    this.numbers = numbers;
  }

  /** Call with the cursor on '{'; reads up to and including the closing '}'. */
  Map<String, Attr> attrs() {
    in.expect(Kind.LBRACE, "'{' starting attributes");
    Map<String, Attr> out = new LinkedHashMap<>();
    do {
      // 'inf' and 'nan' lex as floats but are fine attribute names.
      Token name = in.peek().is(Kind.FLOAT) && Character.isLetter(in.peek().text().charAt(0)) ? in.next()
          : in.expect(Kind.NAME, "an attribute name");
      if (out.containsKey(name.text())) throw in.fail(name, "attribute '" + name.text() + "' given twice");
      in.expect(Kind.EQUALS, "'=' after attribute name '" + name.text() + "'");
      out.put(name.text(), attr());
    } while (in.accept(Kind.COMMA));
    in.expect(Kind.RBRACE, "',' or '}' after an attribute");
    return out;
  }

  private Attr attr() {
    Token t = in.peek();
    switch (t.kind()) {
      case INT -> { in.next(); return new Attr.Int(numbers.parseLong(t)); }
      case FLOAT -> { in.next(); return new Attr.Float(TypeParser.parseDouble(t)); }
      case STRING -> { in.next(); return new Attr.Str(t.text()); }
      case LBRACKET -> { return list(); }
      case NAME -> {
        in.next();
        if (t.text().equals("true")) return new Attr.Bool(true);
        if (t.text().equals("false")) return new Attr.Bool(false);
        if (t.text().equals("none")) return new Attr.None();
        DType d = DType.fromText(t.text());
        if (d != null) return new Attr.DTypeAttr(d);
      }
      default -> { }
    }
    throw in.fail(t, "expected an attribute value (a number, true, false, a string, a list of numbers, a dtype or none), got "
        + t.describe());
  }

  // Attr has number lists only: all INT makes Ints, any FLOAT makes Floats.
  private Attr list() {
    in.expect(Kind.LBRACKET, "'['");
    List<Token> items = new ArrayList<>();
    boolean anyFloat = false;
    if (!in.at(Kind.RBRACKET)) {
      do {
        Token t = in.next();
        if (!t.is(Kind.INT) && !t.is(Kind.FLOAT))
          throw in.fail(t, "expected a number in an attribute list, got " + t.describe());
        anyFloat |= t.is(Kind.FLOAT);
        items.add(t);
      } while (in.accept(Kind.COMMA));
    }
    in.expect(Kind.RBRACKET, "',' or ']' in attribute list");
    if (anyFloat) {
      List<Double> ds = new ArrayList<>();
      for (Token t : items) ds.add(t.is(Kind.FLOAT) ? TypeParser.parseDouble(t) : (double) numbers.parseLong(t));
      return new Attr.Floats(ds);
    }
    List<Long> ls = new ArrayList<>();
    for (Token t : items) ls.add(numbers.parseLong(t));
    return new Attr.Ints(ls);
  }
}
