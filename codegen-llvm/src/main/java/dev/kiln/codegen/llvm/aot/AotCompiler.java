package dev.kiln.codegen.llvm.aot;

import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.LlvmTargetMachine;
import dev.kiln.codegen.llvm.TargetSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Ahead-of-time path: verify, optimise ({@code default<O3>}) and emit a module as a position-independent object
 * file for a {@link TargetSpec}, then link it into a shared library that {@code dev.kiln.runtime.nativelib
 * .NativeLibrary} loads without LLVM. The module stays owned by the caller.
 */
public final class AotCompiler {
  private AotCompiler() {}

  /** Writes {@code module} for {@code target} as an object file at {@code object}. */
  public static void emitObject(LlvmModule module, TargetSpec target, Path object) {
    module.verify();
    try (LlvmTargetMachine tm = new LlvmTargetMachine(target)) {
      tm.configure(module);
      tm.optimize(module, LlvmTargetMachine.O3);
      tm.emitObject(module, object);
    }
  }

  /** Emits {@code module} and links it into the shared library {@code library} (object in a temp file). */
  public static void sharedLibrary(LlvmModule module, TargetSpec target, Path library) {
    Path object = null;
    try {
      object = Files.createTempFile("kiln-", ".o");
      emitObject(module, target, object);
      SharedLibraryLinker.require().link(List.of(object), library);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (object != null) {
        try {
          Files.deleteIfExists(object);
        } catch (IOException ignored) {
          // a leftover temp file is harmless
        }
      }
    }
  }
}
