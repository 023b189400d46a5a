package dev.kiln.codegen.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import java.lang.invoke.MethodHandle;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The emitted GEMM against a naive loop, over edge-heavy sizes, with default and tiny cache blocks. */
@Tag("llvm")
class GemmEmitterTest {
  private static LlvmJit jit;
  private static MethodHandle gemm, tiny;
  private static GemmConfig defaults, small;

  @BeforeAll
  static void compile() {
    TargetSpec host = TargetSpec.host();
    defaults = GemmConfig.forLanes(host.floatLanes());
    // Blocks a few tiles wide, so every loop level (jc, pc, ic) wraps and hits its edge at these small sizes.
    small = new GemmConfig(defaults.lanes(), defaults.mr(), defaults.nv(), 2 * defaults.mr(), 16, 2 * defaults.nr());
    jit = new LlvmJit(host);
    try (LlvmModule m = new LlvmModule("gemm_test")) {
      GemmEmitter.emit(m, "gemm", defaults);
      GemmEmitter.emit(m, "gemm_small", small);
      jit.add(m);
    }
    gemm = jit.function("gemm", GemmEmitter.DESCRIPTOR);
    tiny = jit.function("gemm_small", GemmEmitter.DESCRIPTOR);
  }

  @Test
  void microKernelIsExplicitVectorFmaOnNoaliasAlignedPanels() {
    GemmConfig cfg = new GemmConfig(16, 14, 2, 14, 16, 32);
    try (LlvmModule m = new LlvmModule("ir_shape")) {
      GemmEmitter.emit(m, "g", cfg);
      m.verify();
      String ir = m.print();
      String micro = ir.substring(ir.indexOf("define internal void @g.micro"));
      micro = micro.substring(0, micro.indexOf("\n}\n"));
      assertTrue(micro.startsWith("define internal void @g.micro(ptr noalias nocapture align 64 %0, "
          + "ptr noalias nocapture align 64 %1, ptr noalias nocapture align 4 %2"), micro.lines().findFirst().get());
      assertEquals(cfg.mr() * cfg.nv(), micro.split("call <16 x float> @llvm.fma.v16f32", -1).length - 1,
          "one FMA per accumulator per k in the unoptimised kernel");
      String entry = ir.lines().filter(l -> l.startsWith("define void @g(")).findFirst().orElseThrow();
      assertTrue(entry.contains("ptr noalias nocapture align 64 %9"), "workspace parameter: " + entry);
    }
  }

  @AfterAll
  static void release() {
    if (jit != null) jit.close();
  }

  static Stream<Arguments> sizes() {
    return Stream.of(
        Arguments.of(1, 1, 1, 0), Arguments.of(3, 5, 7, 0), Arguments.of(17, 33, 5, 3),
        Arguments.of(29, 65, 40, 1), Arguments.of(64, 64, 64, 0), Arguments.of(15, 31, 300, 2),
        Arguments.of(200, 47, 19, 5), Arguments.of(45, 130, 33, 0));
  }

  @ParameterizedTest(name = "{0}x{1}x{2} pad {3}")
  @MethodSource("sizes")
  void defaultBlocksMatchNaiveLoop(int m, int n, int k, int pad) throws Throwable {
    GemmCase c = GemmCase.random(m, n, k, pad, 31L * m + n + k);
    c.check(c.run(gemm, defaults.workspaceBytes()), "gemm " + c);
  }

  @ParameterizedTest(name = "{0}x{1}x{2} pad {3}")
  @MethodSource("sizes")
  void smallBlocksMatchNaiveLoop(int m, int n, int k, int pad) throws Throwable {
    GemmCase c = GemmCase.random(m, n, k, pad, 17L * m + n + k);
    c.check(c.run(tiny, small.workspaceBytes()), "gemm_small " + c);
  }
}
