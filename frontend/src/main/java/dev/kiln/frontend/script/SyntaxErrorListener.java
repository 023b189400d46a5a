package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptLexer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.Vocabulary;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Replaces ANTLR's console listener: the first syntax error throws ScriptSyntaxException with
 * {@code file:line:col: unexpected X, expected Y}, phrased in the language's terms (an indented
 * block, end of line, an expression) rather than token names.
 */
final class SyntaxErrorListener extends BaseErrorListener {
  /** Tokens that can start an expression; when all are expected they are summarized as "an expression". */
  private static final int[] EXPRESSION_STARTS = {
      TorchScriptLexer.NAME, TorchScriptLexer.INT, TorchScriptLexer.FLOAT, TorchScriptLexer.STRING,
      TorchScriptLexer.LPAR, TorchScriptLexer.LSQB, TorchScriptLexer.LBRACE, TorchScriptLexer.NONE,
      TorchScriptLexer.TRUE, TorchScriptLexer.FALSE, TorchScriptLexer.MINUS, TorchScriptLexer.PLUS,
      TorchScriptLexer.TILDE, TorchScriptLexer.NOT, TorchScriptLexer.ELLIPSIS};
  private static final int MAX_LISTED = 8;

  private final String fileName;

  SyntaxErrorListener(String fileName) { this.fileName = fileName; }

  @Override
  public void syntaxError(Recognizer<?, ?> recognizer, Object offendingSymbol, int line, int charPositionInLine,
      String msg, RecognitionException e) {
    SourcePos pos = new SourcePos(fileName, line, charPositionInLine + 1);
    if (!(recognizer instanceof Parser parser) || !(offendingSymbol instanceof Token found)) {
      throw new ScriptSyntaxException(pos, msg);
    }
    IntervalSet expected = e != null && e.getExpectedTokens() != null ? e.getExpectedTokens() : parser.getExpectedTokens();
    String message = "unexpected " + describeFound(found);
    String wanted = describeExpected(expected, parser.getVocabulary());
    throw new ScriptSyntaxException(pos, wanted.isEmpty() ? message : message + ", expected " + wanted);
  }

  private static String describeFound(Token t) {
    return switch (t.getType()) {
      case Token.EOF -> "end of file";
      case TorchScriptLexer.NEWLINE -> "end of line";
      case TorchScriptLexer.INDENT -> "indent";
      case TorchScriptLexer.DEDENT -> "unindent";
      case TorchScriptLexer.NAME -> "name " + IndentingTokenSource.quote(t.getText());
      case TorchScriptLexer.STRING -> "string " + IndentingTokenSource.quote(t.getText());
      case TorchScriptLexer.INT, TorchScriptLexer.FLOAT -> "number " + t.getText();
      default -> IndentingTokenSource.quote(t.getText());
    };
  }

  private static String describeExpected(IntervalSet expected, Vocabulary vocabulary) {
    List<String> items = new ArrayList<>();
    IntervalSet rest = new IntervalSet(expected);
    boolean allExpressionStarts = true;
    for (int type : EXPRESSION_STARTS) allExpressionStarts &= expected.contains(type);
    if (allExpressionStarts) {
      for (int type : EXPRESSION_STARTS) rest.remove(type);
    }
    TreeSet<String> names = new TreeSet<>();
    for (int type : rest.toList()) names.add(describeExpectedToken(type, vocabulary));
    if (allExpressionStarts) items.add("an expression");
    items.addAll(names);
    if (items.size() <= 1) return String.join("", items);
    if (items.size() > MAX_LISTED) {
      return String.join(", ", items.subList(0, MAX_LISTED)) + " or another token";
    }
    return String.join(", ", items.subList(0, items.size() - 1)) + " or " + items.getLast();
  }

  private static String describeExpectedToken(int type, Vocabulary vocabulary) {
    return switch (type) {
      case Token.EOF -> "end of file";
      case TorchScriptLexer.NEWLINE -> "end of line";
      case TorchScriptLexer.INDENT -> "an indented block";
      case TorchScriptLexer.DEDENT -> "unindent";
      case TorchScriptLexer.NAME -> "a name";
      case TorchScriptLexer.INT -> "an integer";
      case TorchScriptLexer.FLOAT -> "a float";
      case TorchScriptLexer.STRING -> "a string";
      default -> {
        String literal = vocabulary.getLiteralName(type);
        yield literal != null ? literal : vocabulary.getDisplayName(type);
      }
    };
  }
}
