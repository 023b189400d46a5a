package dev.kiln.frontend.script;

import dev.kiln.ir.IrException;

/**
 * TorchScript source that does not parse. The message is {@code file:line:col: } followed by what
 * was found and what was expected there; {@link #pos()} gives the same position.
 */
public final class ScriptSyntaxException extends IrException {
  private final transient SourcePos pos;

  /** @param pos never null; @param message what was wrong, without the position prefix */
  public ScriptSyntaxException(SourcePos pos, String message) {
    super(pos + ": " + message);
    this.pos = pos;
  }

  /** Position of the offending token or construct; never null. */
  public SourcePos pos() { return pos; }
}
