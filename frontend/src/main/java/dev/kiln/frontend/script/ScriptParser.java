package dev.kiln.frontend.script;

import dev.kiln.frontend.script.grammar.TorchScriptLexer;
import dev.kiln.frontend.script.grammar.TorchScriptParser;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;

/**
 * Entry point of the TorchScript language front: source text to a typed AST. Accepts the code files
 * torch.jit.save writes (PyTorch 1.13, {@code code/**}{@code /*.py}) and scripts written for
 * {@code @torch.jit.script}: imports, classes, top-level functions. Stateless and thread-safe.
 */
public final class ScriptParser {
  private ScriptParser() {}

  /**
   * Parses one file.
   *
   * @param source   the file's text; not null
   * @param fileName the name used in positions and error messages (e.g. {@code code/__torch__/m.py}); not null
   * @return the module; never null
   * @throws ScriptSyntaxException at the first syntax error, with {@code fileName:line:col: } and what was expected
   */
  public static ScriptModule parse(String source, String fileName) {
    SyntaxErrorListener listener = new SyntaxErrorListener(fileName);
    TorchScriptLexer lexer = new TorchScriptLexer(CharStreams.fromString(source, fileName));
    lexer.removeErrorListeners();
    lexer.addErrorListener(listener);
    TorchScriptParser parser = new TorchScriptParser(
        new CommonTokenStream(new IndentingTokenSource(lexer, fileName)));
    parser.removeErrorListeners();
    parser.addErrorListener(listener);
    return new ModuleBuilder(fileName).build(parser.file_());
  }
}
