package dev.kiln.ir.text;

import dev.kiln.ir.text.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/** Splits IR text into {@link Token}s, dropping whitespace and {@code //} comments. */
final class IrLexer {
  private final String src;
  private final String sourceName;
  private int pos;
  private int line = 1;
  private int lineStart;
  private boolean newline = true;

  private IrLexer(String src, String sourceName) {
    this.src = src;
    this.sourceName = sourceName;
  }

  /** All tokens of {@code src}, ending with one {@link Kind#EOF}; throws {@link ParseException} on bad input. */
  static List<Token> lex(String src, String sourceName) {
    IrLexer lx = new IrLexer(src, sourceName);
    List<Token> out = new ArrayList<>();
    Token t;
    do {
      t = lx.next();
      out.add(t);
    } while (!t.is(Kind.EOF));
    return out;
  }

  private Token next() {
    skipSpaceAndComments();
    int startLine = line;
    int startCol = pos - lineStart + 1;
    boolean nl = newline;
    newline = false;
    if (pos >= src.length()) return new Token(Kind.EOF, "", startLine, startCol, nl);
    char c = src.charAt(pos);
    Kind single = switch (c) {
      case '(' -> Kind.LPAREN;
      case ')' -> Kind.RPAREN;
      case '{' -> Kind.LBRACE;
      case '}' -> Kind.RBRACE;
      case '[' -> Kind.LBRACKET;
      case ']' -> Kind.RBRACKET;
      case '<' -> Kind.LANGLE;
      case '>' -> Kind.RANGLE;
      case ',' -> Kind.COMMA;
      case ':' -> Kind.COLON;
      case '=' -> Kind.EQUALS;
      case '^' -> Kind.CARET;
      case '*' -> Kind.STAR;
      case '?' -> Kind.QUESTION;
      default -> null;
    };
    if (single != null) {
      pos++;
      return new Token(single, String.valueOf(c), startLine, startCol, nl);
    }
    if (c == '%' || c == '@') {
      pos++;
      String name = nameChars();
      if (name.isEmpty()) throw error(startLine, startCol, "expected a name after '" + c + "'");
      return new Token(c == '%' ? Kind.VALUE : Kind.GLOBAL, name, startLine, startCol, nl);
    }
    if (c == '"') return string(startLine, startCol, nl);
    if (c == '-' && pos + 1 < src.length() && src.charAt(pos + 1) == '>') {
      pos += 2;
      return new Token(Kind.ARROW, "->", startLine, startCol, nl);
    }
    if (c == '-' && src.startsWith("-inf", pos) && !isNameChar(charAt(pos + 4))) {
      pos += 4;
      return new Token(Kind.FLOAT, "-inf", startLine, startCol, nl);
    }
    if (Character.isDigit(c) || (c == '-' && Character.isDigit(charAt(pos + 1)))) return number(startLine, startCol, nl);
    if (Character.isLetter(c) || c == '_') {
      String name = nameChars();
      Kind k = name.equals("inf") || name.equals("nan") ? Kind.FLOAT : Kind.NAME;
      return new Token(k, name, startLine, startCol, nl);
    }
    throw error(startLine, startCol, "unexpected character '" + c + "'");
  }

  private void skipSpaceAndComments() {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '\n') {
        pos++;
        line++;
        lineStart = pos;
        newline = true;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        pos++;
      } else if (c == '/' && charAt(pos + 1) == '/') {
        while (pos < src.length() && src.charAt(pos) != '\n') pos++;
      } else {
        return;
      }
    }
  }

  private String nameChars() {
    int start = pos;
    while (pos < src.length() && isNameChar(src.charAt(pos))) pos++;
    return src.substring(start, pos);
  }

  private static boolean isNameChar(char c) { return Character.isLetterOrDigit(c) || c == '_' || c == '.'; }

  private char charAt(int i) { return i < src.length() ? src.charAt(i) : '\0'; }

  // INT := '-'? digit+ ; FLOAT := INT ('.' digit+)? ([eE] [+-]? digit+)? with a '.' or exponent present
  private Token number(int startLine, int startCol, boolean nl) {
    int start = pos;
    if (src.charAt(pos) == '-') pos++;
    digits();
    boolean isFloat = false;
    if (charAt(pos) == '.' && Character.isDigit(charAt(pos + 1))) {
      pos++;
      digits();
      isFloat = true;
    }
    if (charAt(pos) == 'e' || charAt(pos) == 'E') {
      int save = pos;
      pos++;
      if (charAt(pos) == '+' || charAt(pos) == '-') pos++;
      if (Character.isDigit(charAt(pos))) {
        digits();
        isFloat = true;
      } else {
        pos = save;
      }
    }
    if (isNameChar(charAt(pos)))
      throw error(startLine, startCol, "malformed number '" + src.substring(start, pos + 1) + "'");
    return new Token(isFloat ? Kind.FLOAT : Kind.INT, src.substring(start, pos), startLine, startCol, nl);
  }

  private void digits() {
    while (Character.isDigit(charAt(pos))) pos++;
  }

  private Token string(int startLine, int startCol, boolean nl) {
    StringBuilder sb = new StringBuilder();
    pos++;
    while (true) {
      if (pos >= src.length() || src.charAt(pos) == '\n')
        throw error(startLine, startCol, "unterminated string, expected a closing '\"' before the end of the line");
      char c = src.charAt(pos++);
      if (c == '"') break;
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= src.length()) continue;
      char e = src.charAt(pos);
      switch (e) {
        case '"' -> sb.append('"');
        case '\\' -> sb.append('\\');
        case 'n' -> sb.append('\n');
        case 't' -> sb.append('\t');
        // pos - lineStart is the 1-based column of the backslash, one before pos
        default -> throw error(line, pos - lineStart, "unknown escape '\\" + e + "', expected one of \\\" \\\\ \\n \\t");
      }
      pos++;
    }
    return new Token(Kind.STRING, sb.toString(), startLine, startCol, nl);
  }

  private ParseException error(int l, int c, String what) { return new ParseException(sourceName, l, c, what); }
}
