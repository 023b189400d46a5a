package dev.kiln.codegen.llvm.aot;

import dev.kiln.codegen.llvm.LlvmException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Links object files into a shared library with the system toolchain: {@code gcc -shared} (or {@code cc}) when
 * present, else plain {@code ld -shared}. The kernels call no libc functions beyond libm's ({@code expf},
 * {@code tanhf}), so either works. The stack is marked
 * non-executable ({@code -z noexecstack}): LLVM's objects carry no {@code .note.GNU-stack}, and without the flag the
 * library would ask for an executable stack, which the JVM warns about when it loads it.
 */
public final class SharedLibraryLinker {
  private final List<String> command;

  private SharedLibraryLinker(List<String> command) {
    this.command = command;
  }

  /** The first of gcc, cc, ld found on PATH; empty when none is installed. */
  public static Optional<SharedLibraryLinker> find() {
    for (String tool : List.of("gcc", "cc")) {
      Optional<Path> p = onPath(tool);
      if (p.isPresent()) return Optional.of(new SharedLibraryLinker(List.of(p.get().toString(), "-shared", "-fPIC", "-Wl,-z,noexecstack")));
    }
    return onPath("ld").map(p -> new SharedLibraryLinker(List.of(p.toString(), "-shared", "-z", "noexecstack")));
  }

  /** Like {@link #find()} but throws a {@link LlvmException} saying what to install. */
  public static SharedLibraryLinker require() {
    return find().orElseThrow(() -> new LlvmException(
        "no linker for shared libraries: install gcc or binutils (ld) to build AOT libraries"));
  }

  private static Optional<Path> onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) return Optional.of(p);
    }
    return Optional.empty();
  }

  /** The linker program and its fixed flags, e.g. {@code [/usr/bin/gcc, -shared, -fPIC, -Wl,-z,noexecstack]}. */
  public List<String> command() {
    return command;
  }

  /** Links {@code objects} into {@code output}; a failing linker throws with its exit code and output. */
  public void link(List<Path> objects, Path output) {
    List<String> cmd = new ArrayList<>(command);
    cmd.add("-o");
    cmd.add(output.toString());
    objects.forEach(o -> cmd.add(o.toString()));
    // exp, log and tanh lower to libm calls (expf, tanhf); name libm so the library does not rely on the loading
    // process having it. Plain ld is left to resolve them at load time (every JVM has libm mapped).
    if (!command.getFirst().endsWith("/ld")) cmd.add("-lm");
    try {
      Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!proc.waitFor(120, TimeUnit.SECONDS)) {
        proc.destroyForcibly();
        throw new LlvmException("linker timed out: " + String.join(" ", cmd));
      }
      if (proc.exitValue() != 0) {
        throw new LlvmException("linker failed (exit " + proc.exitValue() + "): " + String.join(" ", cmd) + "\n" + out);
      }
    } catch (IOException e) {
      throw new LlvmException("cannot run linker " + String.join(" ", cmd), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LlvmException("interrupted while linking " + output, e);
    }
  }
}
