package dev.kiln.runtime.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a shared library without LLVM: a tiny C library built with gcc (skipped when gcc is missing). */
class NativeLibraryTest {
  @TempDir Path dir;

  private Path buildLibrary() throws Exception {
    Path gcc = Path.of("/usr/bin/gcc");
    assumeTrue(Files.isExecutable(gcc), "gcc is not installed");
    Path src = dir.resolve("scale.c"), so = dir.resolve("libscale.so");
    Files.writeString(src, "void scale(float *x, long n, float s) { for (long i = 0; i < n; i++) x[i] *= s; }\n");
    Process p = new ProcessBuilder(gcc.toString(), "-O2", "-shared", "-fPIC", "-o", so.toString(), src.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "gcc failed: " + out);
    return so;
  }

  @Test
  void callsAnExportedFunctionOnAlignedNativeMemory() throws Throwable {
    try (NativeLibrary lib = NativeLibrary.load(buildLibrary()); Arena arena = Arena.ofConfined()) {
      MethodHandle scale = lib.function("scale",
          FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_FLOAT));
      MemorySegment x = NativeBuffers.copyOf(arena, new float[] {1, 2, 3, -4});
      assertEquals(0, x.address() % NativeBuffers.ALIGN, "buffer is not 64-byte aligned");
      scale.invokeExact(x, 4L, 2.5f);
      assertEquals(java.util.List.of(2.5f, 5f, 7.5f, -10f),
          java.util.stream.IntStream.range(0, 4).mapToObj(i -> x.getAtIndex(ValueLayout.JAVA_FLOAT, i)).toList());
    }
  }

  @Test
  void missingSymbolNamesSymbolAndLibrary() throws Exception {
    Path so = buildLibrary();
    try (NativeLibrary lib = NativeLibrary.load(so)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> lib.function("nope", FunctionDescriptor.ofVoid()));
      assertTrue(e.getMessage().contains("nope") && e.getMessage().contains(so.getFileName().toString()),
          e.getMessage());
      assertTrue(lib.find("scale").isPresent());
    }
  }

  @Test
  void missingOrInvalidFilesAreRefused() throws Exception {
    Path missing = dir.resolve("absent.so");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeLibrary.load(missing));
    assertTrue(e.getMessage().contains("absent.so"), e.getMessage());
    Path text = Files.writeString(dir.resolve("not-elf.so"), "hello");
    e = assertThrows(IllegalArgumentException.class, () -> NativeLibrary.load(text));
    assertTrue(e.getMessage().contains("not-elf.so"), e.getMessage());
  }
}
