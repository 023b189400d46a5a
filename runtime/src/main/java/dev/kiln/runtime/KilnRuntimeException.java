package dev.kiln.runtime;

/** A failure while running a model; the message names the node (e.g. {@code %7 = nn.add}) and what was wrong. */
public class KilnRuntimeException extends RuntimeException {
  public KilnRuntimeException(String message) { super(message); }

  public KilnRuntimeException(String message, Throwable cause) { super(message, cause); }
}
