package dev.kiln.codegen.llvm.backend;

/** A kernel uses something the native emitter does not generate yet; the kernel then runs on the JVM instead. */
final class Unsupported extends RuntimeException {
  Unsupported(String what) { super(what, null, false, false); }
}
