package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptLexer;
import java.util.ArrayDeque;
import java.util.Deque;
import org.antlr.v4.runtime.CharStream;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenFactory;
import org.antlr.v4.runtime.TokenSource;

/**
 * Turns the lexer's raw NEWLINE tokens (a line break plus the next line's leading whitespace) into
 * Python's logical-line tokens: one NEWLINE at the end of each logical line, INDENT when a line is
 * indented deeper than the one before, one DEDENT per indentation level closed. Newlines inside
 * (), [] and {} are dropped, and so are blank and comment-only lines (they show up as consecutive
 * NEWLINEs, of which only the last one's indentation counts). Lexical errors (stray characters,
 * unterminated strings, unclosed brackets, inconsistent dedents) throw ScriptSyntaxException.
 */
final class IndentingTokenSource implements TokenSource {
  private static final int TAB_STOP = 8;

  private final TorchScriptLexer lexer;
  private final String fileName;
  private final Deque<Integer> indents = new ArrayDeque<>();
  private final Deque<Token> openBrackets = new ArrayDeque<>();
  private final Deque<Token> pending = new ArrayDeque<>();
  /** A token read ahead while skipping blank lines, to be handled before reading the lexer again. */
  private Token lookahead;
  /** True once a token of the current logical line was emitted: a NEWLINE must end it. */
  private boolean lineHasTokens;
  private boolean started;

  IndentingTokenSource(TorchScriptLexer lexer, String fileName) {
    this.lexer = lexer;
    this.fileName = fileName;
    indents.push(0);
  }

  @Override
  public Token nextToken() {
    while (pending.isEmpty()) {
      Token t = lookahead != null ? lookahead : lexer.nextToken();
      lookahead = null;
      handle(t);
    }
    return pending.poll();
  }

  private void handle(Token t) {
    if (!started && t.getType() != TorchScriptLexer.NEWLINE && t.getType() != Token.EOF) {
      started = true;
      if (t.getCharPositionInLine() > 0) {
        // The first line is indented: the parser reports the unexpected INDENT.
        indents.push(t.getCharPositionInLine());
        pending.add(synthetic(TorchScriptLexer.INDENT, "<INDENT>", t));
      }
    }
    switch (t.getType()) {
      case TorchScriptLexer.NEWLINE -> onNewline(t);
      case Token.EOF -> onEof(t);
      case TorchScriptLexer.LPAR, TorchScriptLexer.LSQB, TorchScriptLexer.LBRACE -> {
        openBrackets.push(t);
        emit(t);
      }
      case TorchScriptLexer.RPAR, TorchScriptLexer.RSQB, TorchScriptLexer.RBRACE -> {
        // A mismatched closer is left for the parser to report; only the depth matters here.
        if (!openBrackets.isEmpty()) openBrackets.pop();
        emit(t);
      }
      case TorchScriptLexer.DEF, TorchScriptLexer.CLASS, TorchScriptLexer.RETURN, TorchScriptLexer.PASS,
          TorchScriptLexer.RAISE, TorchScriptLexer.ASSERT, TorchScriptLexer.DEL, TorchScriptLexer.BREAK,
          TorchScriptLexer.CONTINUE, TorchScriptLexer.IMPORT, TorchScriptLexer.ELIF, TorchScriptLexer.WHILE -> {
        // Keywords that only start statements cannot be inside brackets: the bracket was left open.
        if (!openBrackets.isEmpty()) throw unclosed(openBrackets.peek());
        emit(t);
      }
      case TorchScriptLexer.ERROR_CHAR -> throw error(t, "unexpected character " + quote(t.getText()));
      case TorchScriptLexer.UNTERMINATED_STRING -> throw error(t, "unterminated string literal");
      default -> emit(t);
    }
  }

  private void onNewline(Token newline) {
    if (!openBrackets.isEmpty()) return;
    Token last = newline;
    Token next = lexer.nextToken();
    while (next.getType() == TorchScriptLexer.NEWLINE) {
      last = next;
      next = lexer.nextToken();
    }
    lookahead = next;
    if (lineHasTokens) {
      pending.add(newline);
      lineHasTokens = false;
    }
    if (next.getType() == Token.EOF) return;
    started = true;
    int width = indentWidth(last.getText());
    if (width > indents.peek()) {
      indents.push(width);
      pending.add(synthetic(TorchScriptLexer.INDENT, "<INDENT>", next));
      return;
    }
    while (width < indents.peek()) {
      indents.pop();
      pending.add(synthetic(TorchScriptLexer.DEDENT, "<DEDENT>", next));
    }
    if (width != indents.peek()) {
      throw error(next, "unindent does not match any outer indentation level");
    }
  }

  private void onEof(Token eof) {
    if (!openBrackets.isEmpty()) throw unclosed(openBrackets.peek());
    if (lineHasTokens) {
      pending.add(synthetic(TorchScriptLexer.NEWLINE, "\n", eof));
      lineHasTokens = false;
    }
    while (indents.size() > 1) {
      indents.pop();
      pending.add(synthetic(TorchScriptLexer.DEDENT, "<DEDENT>", eof));
    }
    pending.add(eof);
  }

  private void emit(Token t) {
    lineHasTokens = true;
    pending.add(t);
  }

  /** Width of the indentation after the last line break in a NEWLINE token's text; tabs go to the next stop of 8. */
  private static int indentWidth(String newlineText) {
    int width = 0;
    for (int i = Math.max(newlineText.lastIndexOf('\n'), newlineText.lastIndexOf('\r')) + 1;
        i < newlineText.length(); i++) {
      char c = newlineText.charAt(i);
      if (c == '\t') width = (width / TAB_STOP + 1) * TAB_STOP;
      else if (c == '\f') width = 0;
      else width++;
    }
    return width;
  }

  /** A token the lexer did not produce, placed at {@code at}'s position so errors point at the next real token. */
  private Token synthetic(int type, String text, Token at) {
    CommonToken t = new CommonToken(type, text);
    t.setLine(at.getLine());
    t.setCharPositionInLine(at.getCharPositionInLine());
    t.setStartIndex(at.getStartIndex());
    t.setStopIndex(at.getStartIndex() - 1);
    t.setTokenIndex(-1);
    return t;
  }

  private ScriptSyntaxException unclosed(Token open) {
    return error(open, quote(open.getText()) + " was never closed");
  }

  private ScriptSyntaxException error(Token at, String message) {
    return new ScriptSyntaxException(new SourcePos(fileName, at.getLine(), at.getCharPositionInLine() + 1), message);
  }

  static String quote(String text) {
    String shown = text.length() > 20 ? text.substring(0, 20) + "..." : text;
    return "'" + shown.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'";
  }

  @Override
  public int getLine() { return lexer.getLine(); }

  @Override
  public int getCharPositionInLine() { return lexer.getCharPositionInLine(); }

  @Override
  public CharStream getInputStream() { return lexer.getInputStream(); }

  @Override
  public String getSourceName() { return fileName; }

  @Override
  public void setTokenFactory(TokenFactory<?> factory) { lexer.setTokenFactory(factory); }

  @Override
  public TokenFactory<?> getTokenFactory() { return lexer.getTokenFactory(); }
}
