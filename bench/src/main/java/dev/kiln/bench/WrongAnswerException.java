package dev.kiln.bench;

/** A runtime's output disagrees with PyTorch's reference: the harness refuses to time it. */
public final class WrongAnswerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public WrongAnswerException(String message) { super(message); }
}
