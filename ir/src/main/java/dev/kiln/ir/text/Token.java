package dev.kiln.ir.text;

/**
 * One lexical token of IR text. {@code text} is the name without its sigil for {@link Kind#VALUE} ({@code %x})
 * and {@link Kind#GLOBAL} ({@code @f}), the unescaped contents for {@link Kind#STRING}, and the source text
 * otherwise. {@code newlineBefore} is true when a line break separates this token from the previous one; the
 * parser uses it to tell a block (whose '{' ends a line) from tensor attributes or node attributes.
 */
record Token(Kind kind, String text, int line, int col, boolean newlineBefore) {
  enum Kind {
    NAME, VALUE, GLOBAL, INT, FLOAT, STRING,
    LPAREN, RPAREN, LBRACE, RBRACE, LBRACKET, RBRACKET, LANGLE, RANGLE,
    COMMA, COLON, EQUALS, CARET, ARROW, STAR, QUESTION, EOF
  }

  boolean is(Kind k) { return kind == k; }

  boolean isName(String s) { return kind == Kind.NAME && text.equals(s); }

  /** How the token reads in an error message. */
  String describe() {
    return switch (kind) {
      case EOF -> "end of input";
      case VALUE -> "'%" + text + "'";
      case GLOBAL -> "'@" + text + "'";
      case STRING -> "string " + dev.kiln.ir.Attr.quote(text);
      default -> "'" + text + "'";
    };
  }
}
