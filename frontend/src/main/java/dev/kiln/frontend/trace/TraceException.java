package dev.kiln.frontend.trace;

/** A traced program could not be recorded faithfully: a guard in strict mode, or an op that failed while tracing. */
public class TraceException extends RuntimeException {
  public TraceException(String message) { super(message); }

  public TraceException(String message, Throwable cause) { super(message, cause); }
}
