package dev.kiln.codegen.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;

/**
 * Process-wide LLVM set-up and the conversions every wrapper needs: native (x86) target registration, and turning
 * LLVM's owned C strings and {@code LLVMErrorRef}s into Java strings and {@link LlvmException}s.
 */
public final class Llvm {
  private static volatile boolean initialized;

  private Llvm() {}

  /** Registers the x86 target, its MC layer and asm printer once per process; safe to call from any thread. */
  public static void init() {
    if (initialized) return;
    synchronized (Llvm.class) {
      if (initialized) return;
      // JavaCPP loads (and on first use extracts to its cache) the LLVM natives when the class initializes.
      if (LLVMInitializeNativeTarget() != 0 || LLVMInitializeNativeAsmPrinter() != 0) {
        throw new LlvmException("LLVM has no native target for this host (" + System.getProperty("os.arch") + ")");
      }
      LLVMInitializeNativeAsmParser();
      initialized = true;
    }
  }

  /** Copies and frees a message that LLVM allocated (LLVMDisposeMessage); null gives "". */
  static String takeMessage(BytePointer message) {
    if (message == null || message.isNull()) return "";
    try {
      return message.getString();
    } finally {
      LLVMDisposeMessage(message);
    }
  }

  /** Throws when {@code err} is a failure, with {@code what} then LLVM's message; consumes the error. */
  static void check(LLVMErrorRef err, String what) {
    if (err == null || err.isNull()) return;
    BytePointer msg = LLVMGetErrorMessage(err);
    String text = msg.getString();
    LLVMDisposeErrorMessage(msg);
    throw new LlvmException(what + ": " + text);
  }
}
