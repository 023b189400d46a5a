package dev.kiln.codegen.llvm.bundle;

/** A model cannot be written as a C bundle; the message names the model, the kernel or port, and why. */
public final class CBundleException extends RuntimeException {
  public CBundleException(String message) { super(message); }

  public CBundleException(String message, Throwable cause) { super(message, cause); }
}
