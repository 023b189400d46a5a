package dev.kiln.passes.lower;

/** Thrown inside lowering when a node has no loop or primitive lowering; the driver then falls back to a reference call. */
final class Unsupported extends RuntimeException {
  Unsupported(String why) { super(why, null, false, false); }
}
