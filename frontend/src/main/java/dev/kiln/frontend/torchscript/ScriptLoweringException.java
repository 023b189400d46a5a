package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.SourcePos;
import dev.kiln.ir.IrException;

/**
 * TorchScript that parses but cannot be lowered to Graph IR: an unsupported op, a type error reported by the IR,
 * a value that must be known while lowering but is not. The message is {@code file:line:col: } then what was wrong,
 * then {@code (in Class.method)}; the file is the code path inside the archive ({@code code/__torch__/m.py}) or the
 * script's path.
 */
public final class ScriptLoweringException extends IrException {
  private final transient SourcePos pos;

  /** @param pos may be null when no statement is being lowered (e.g. binding inputs) */
  public ScriptLoweringException(SourcePos pos, String message, Throwable cause) {
    super((pos == null ? "" : pos + ": ") + message);
    this.pos = pos;
    if (cause != null) initCause(cause);
  }

  /** The position of the statement or call being lowered; may be null. */
  public SourcePos pos() { return pos; }
}
