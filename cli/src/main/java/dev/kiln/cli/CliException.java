package dev.kiln.cli;

/** A user error found by the CLI itself (bad input file, wrong input count or shape); the message is complete. */
final class CliException extends RuntimeException {
  CliException(String message) { super(message); }
}
