package dev.kiln.ir;

/** An op applied to operands or attributes it does not accept; the message says which and what was expected. */
public class TypeError extends IrException {
  public TypeError(String message) { super(message); }
}
