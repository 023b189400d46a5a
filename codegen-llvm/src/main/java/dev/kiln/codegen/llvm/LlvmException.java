package dev.kiln.codegen.llvm;

/** A failure reported by LLVM (verification, target lookup, JIT, object emission) or by the system linker. */
public final class LlvmException extends RuntimeException {
  public LlvmException(String message) {
    super(message);
  }

  public LlvmException(String message, Throwable cause) {
    super(message, cause);
  }
}
