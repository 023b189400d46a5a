package dev.kiln.ir;

/** A malformed graph or an operation the IR cannot perform; the message names where and what was expected. */
public class IrException extends RuntimeException {
  public IrException(String message) { super(message); }

  public IrException(String message, Throwable cause) { super(message, cause); }
}
