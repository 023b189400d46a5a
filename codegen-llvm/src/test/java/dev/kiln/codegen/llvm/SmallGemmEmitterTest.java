package dev.kiln.codegen.llvm;

import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import dev.kiln.codegen.llvm.gemm.SmallGemmEmitter;
import java.lang.invoke.MethodHandle;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The small-M GEMM (no packing) against a naive loop: 1-16 rows (whole 4-row blocks and the rest), ragged columns. */
@Tag("llvm")
class SmallGemmEmitterTest {
  private static LlvmJit jit;
  private static MethodHandle gemm;

  @BeforeAll
  static void compile() {
    TargetSpec host = TargetSpec.host();
    jit = new LlvmJit(host);
    try (LlvmModule m = new LlvmModule("small_gemm_test")) {
      SmallGemmEmitter.emit(m, "small", host.floatLanes());
      jit.add(m);
    }
    gemm = jit.function("small", GemmEmitter.DESCRIPTOR);
  }

  @AfterAll
  static void release() {
    if (jit != null) jit.close();
  }

  static Stream<Arguments> sizes() {
    return Stream.of(Arguments.of(1, 1, 1, 0), Arguments.of(1, 10, 256, 0), Arguments.of(2, 17, 5, 3), Arguments.of(3, 64, 64, 0),
        Arguments.of(4, 65, 33, 1), Arguments.of(1, 1000, 512, 0), Arguments.of(4, 129, 7, 5), Arguments.of(1, 63, 1, 2),
        Arguments.of(5, 33, 9, 0), Arguments.of(8, 256, 64, 1), Arguments.of(11, 70, 20, 0), Arguments.of(16, 1000, 16, 0));
  }

  @ParameterizedTest(name = "{0}x{1}x{2} pad {3}")
  @MethodSource("sizes")
  void matchesNaiveLoop(int m, int n, int k, int pad) throws Throwable {
    GemmCase c = GemmCase.random(m, n, k, pad, 13L * m + n + k);
    c.check(c.run(gemm, 64), "small gemm " + c);
  }
}
