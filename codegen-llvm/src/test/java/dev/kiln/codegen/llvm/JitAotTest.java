package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotCompiler;
import dev.kiln.codegen.llvm.aot.SharedLibraryLinker;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import dev.kiln.runtime.nativelib.NativeLibrary;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same module compiled in-process (ORC LLJIT) and ahead of time (object file, system linker, loaded by the
 * runtime's NativeLibrary without LLVM) computes bit-identical results, for the host and the portable target.
 */
@Tag("llvm")
class JitAotTest {
  @TempDir Path dir;

  private static LlvmModule gemmModule(GemmConfig cfg) {
    LlvmModule m = new LlvmModule("gemm_jit_aot");
    GemmEmitter.emit(m, "kiln_gemm", cfg);
    return m;
  }

  @ParameterizedTest
  @ValueSource(strings = {"host", TargetSpec.PORTABLE})
  void jitAndAotGiveTheSameBits(String target) throws Throwable {
    TargetSpec spec = TargetSpec.parse(target);
    GemmConfig cfg = GemmConfig.forLanes(spec.floatLanes());
    GemmCase c = GemmCase.random(37, 70, 301, 3, 7);

    float[] jitOut;
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule m = gemmModule(cfg)) {
      jit.add(m);
      jitOut = c.run(jit.function("kiln_gemm", GemmEmitter.DESCRIPTOR), cfg.workspaceBytes());
      long ws = (long) jit.function("kiln_gemm_workspace", GemmEmitter.WORKSPACE_DESCRIPTOR).invokeExact();
      assertTrue(ws == cfg.workspaceBytes(), "kiln_gemm_workspace() = " + ws + ", config says " + cfg.workspaceBytes());
    }
    c.check(jitOut, "JIT " + spec.cpu());

    Path so = dir.resolve("libkiln_gemm.so");
    try (LlvmModule m = gemmModule(cfg)) {
      AotCompiler.sharedLibrary(m, spec, so);
    }
    assertTrue(Files.size(so) > 0, "linker wrote an empty " + so);
    float[] aotOut;
    try (NativeLibrary lib = NativeLibrary.load(so)) {
      MethodHandle h = lib.function("kiln_gemm", GemmEmitter.DESCRIPTOR);
      aotOut = c.run(h, cfg.workspaceBytes());
    }
    assertArrayEquals(bits(jitOut), bits(aotOut), "JIT and AOT differ for target " + spec.cpu());
  }

  @org.junit.jupiter.api.Test
  void linkerIsFoundOnThisMachine() {
    assertTrue(SharedLibraryLinker.find().isPresent(), "no gcc, cc or ld on PATH");
  }

  private static int[] bits(float[] x) {
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) b[i] = Float.floatToRawIntBits(x[i]);
    return b;
  }
}
