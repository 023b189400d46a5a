package dev.kiln.ir.text;

import dev.kiln.ir.IrException;

/**
 * A syntax or naming error in IR text. The message starts {@code sourceName:line:col: } followed by what was
 * expected and what was found; line and column are 1-based.
 */
public final class ParseException extends IrException {
  private final String sourceName;
  private final int line;
  private final int col;

  public ParseException(String sourceName, int line, int col, String what) {
    super(sourceName + ":" + line + ":" + col + ": " + what);
    this.sourceName = sourceName;
    this.line = line;
    this.col = col;
  }

  public String sourceName() { return sourceName; }

  public int line() { return line; }

  public int col() { return col; }
}
