package dev.kiln.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** Turns an exception into the one-line message the CLI prints after {@code kiln: }. */
final class Errors {
  private Errors() {}

  static String describe(Throwable ex) {
    return switch (ex) {
      case NoSuchFileException e -> e.getFile() + ": no such file";
      case AccessDeniedException e -> e.getFile() + ": permission denied";
      case java.io.UncheckedIOException e when e.getCause() instanceof NoSuchFileException n -> n.getFile() + ": no such file";
      case java.io.UncheckedIOException e -> e.getMessage();
      case java.io.IOException e -> e.getMessage() != null ? e.getMessage() : "I/O error (" + e.getClass().getSimpleName() + ")";
      // Our own exceptions carry complete messages (file:line:col, node, what was expected).
      case dev.kiln.ir.IrException e -> e.getMessage();
      case dev.kiln.runtime.KilnRuntimeException e -> e.getMessage();
      case CliException e -> e.getMessage();
      case IllegalArgumentException e when e.getMessage() != null -> e.getMessage();
      // Anything else is a bug: say what it was so the report is useful without --debug.
      default -> "internal error: " + ex + " (run with --debug for the stack trace)";
    };
  }
}
