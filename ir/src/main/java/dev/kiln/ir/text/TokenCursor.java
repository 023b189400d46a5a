package dev.kiln.ir.text;

import dev.kiln.ir.text.Token.Kind;
import java.util.List;

/** A read position in a token list, with the expect-or-fail helpers the parsers share. */
final class TokenCursor {
  private final List<Token> tokens;
  private final String sourceName;
  private int pos;

  TokenCursor(List<Token> tokens, String sourceName) {
    this.tokens = tokens;
    this.sourceName = sourceName;
  }

  Token peek() { return tokens.get(pos); }

  /** The token {@code k} places ahead (0 is {@link #peek}); EOF past the end. */
  Token peek(int k) { return tokens.get(Math.min(pos + k, tokens.size() - 1)); }

  Token next() {
    Token t = tokens.get(pos);
    if (!t.is(Kind.EOF)) pos++;
    return t;
  }

  boolean at(Kind k) { return peek().is(k); }

  /** Consumes the next token if it is of kind {@code k}. */
  boolean accept(Kind k) {
    if (!at(k)) return false;
    next();
    return true;
  }

  /** Consumes a token of kind {@code k}, or fails saying {@code what} was expected. */
  Token expect(Kind k, String what) {
    if (!at(k)) throw fail(peek(), "expected " + what + ", got " + peek().describe());
    return next();
  }

  /** Consumes the name {@code word}, or fails. */
  Token expectName(String word) {
    if (!peek().isName(word)) throw fail(peek(), "expected '" + word + "', got " + peek().describe());
    return next();
  }

  ParseException fail(Token at, String what) { return new ParseException(sourceName, at.line(), at.col(), what); }

  String sourceName() { return sourceName; }
}
