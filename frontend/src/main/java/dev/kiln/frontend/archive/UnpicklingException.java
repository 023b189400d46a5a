package dev.kiln.frontend.archive;

/**
 * A pickle the {@link Unpickler} refuses: a global outside the allow-list, an unknown opcode, a stack underflow,
 * truncated input. The message is {@code <source> at byte <offset>: <what was expected>}.
 */
public class UnpicklingException extends ArchiveException {
  private final String source;
  private final long offset;

  public UnpicklingException(String source, long offset, String message) {
    super(source + " at byte " + offset + ": " + message);
    this.source = source;
    this.offset = offset;
  }

  /** The pickle's name as given to the unpickler, e.g. {@code model.pt:archive/data.pkl}. */
  public String source() { return source; }

  /** Offset of the opcode that failed, from the start of the pickle. */
  public long offset() { return offset; }
}
