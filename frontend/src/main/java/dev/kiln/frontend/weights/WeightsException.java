package dev.kiln.frontend.weights;

/** A weights file that cannot be read: the message names the file, the tensor or byte offset, and what was expected. */
public class WeightsException extends RuntimeException {
  public WeightsException(String message) { super(message); }

  public WeightsException(String message, Throwable cause) { super(message, cause); }
}
