package dev.kiln.frontend.script;

/**
 * Where a piece of TorchScript source starts: file name as given to {@link ScriptParser#parse},
 * 1-based line and 1-based column (a tab counts as one column).
 */
public record SourcePos(String file, int line, int column) {
  /** {@code file:line:col}, the prefix of every syntax error message. */
  @Override
  public String toString() { return file + ":" + line + ":" + column; }
}
