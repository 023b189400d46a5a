package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.kernels.Threads;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct convolution for small output planes (dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter, resnet18's
 * 7x7x512 layers at batch 1) against the interpreter: the resnet18 shape, stride 2, padding 0 / 1 / 2, a plane that
 * is not a multiple of the 6-pixel block, batch 2, with and without bias, one and two threads; and the IR: one call of
 * the layer's function, 24 vector FMAs in its channel loop, no im2col routine or GEMM. Needs AVX-512 (the kernel is
 * only used with 16-lane vectors); skipped elsewhere.
 */
@Tag("llvm")
class SmallPlaneConvLlvmTest {
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @CsvSource({
      // n, c, h, w, oc, k, stride, pad, bias, threads
      "1, 512, 7, 7, 512, 3, 1, 1, true, 1",
      "1, 64, 7, 7, 64, 3, 1, 1, true, 2",
      "1, 64, 14, 14, 128, 3, 2, 1, true, 1",
      "1, 64, 14, 13, 64, 3, 2, 1, false, 2",
      "1, 64, 5, 9, 64, 3, 1, 1, false, 1",
      "1, 96, 8, 6, 64, 1, 2, 0, true, 1",
      "1, 64, 5, 6, 64, 3, 1, 2, true, 2",
      "2, 64, 5, 5, 64, 3, 1, 1, true, 2",
  })
  void matchesTheInterpreter(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean bias, int threads) {
    Assumptions.assumeTrue(TargetSpec.parse("host").floatLanes() == 16, "the kernel needs 16-lane vectors (AVX-512)");
    DirectConvLlvmTest.Case cs = DirectConvLlvmTest.Case.of(n, c, h, w, oc, k, stride, pad, bias, 7);
    int before = Threads.threads();
    Threads.setThreads(threads);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights(), LlvmOptions.defaults().withKeepIr(true))) {
      assertTrue(compiled.fallbackKinds().isEmpty(), compiled.report());
      assertTrue(compiled.llvmIr().contains("define internal void @kiln_conv_plane_"), "the layer takes the small-plane kernel");
      Tensor got = (Tensor) compiled.instantiate(cs.weights()).run(List.of(cs.x())).get(0);
      double scale = 1e-6;
      for (double d : cs.want().toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertEquals(cs.want().numel(), got.numel());
      assertTrue(got.allClose(cs.want(), RTOL * scale, RTOL), cs + ": max |diff| " + got.maxAbsDiff(cs.want()) + " vs scale " + scale);
    } finally {
      Threads.setThreads(before);
    }
  }

  @Test
  void resnet18LayerIsOneKernelOfVectorFmas() {
    Assumptions.assumeTrue(TargetSpec.parse("host").floatLanes() == 16, "the kernel needs 16-lane vectors (AVX-512)");
    DirectConvLlvmTest.Case cs = DirectConvLlvmTest.Case.of(1, 512, 7, 7, 512, 3, 1, 1, true, 3);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights(), LlvmOptions.defaults().withKeepIr(true))) {
      String ir = compiled.llvmIr();
      Matcher def = Pattern.compile("define internal void @(kiln_conv_plane_\\w+)\\(").matcher(ir);
      assertTrue(def.find(), "a small-plane kernel is defined");
      String body = ir.substring(def.start(), ir.indexOf("\n}\n", def.start()));
      // a 6-pixel block: 6 x 4 FMAs on 16-lane vectors; the single-pixel loop: 4 more
      long fmas = Pattern.compile("call <16 x float> @llvm\\.fma\\.v16f32").matcher(body).results().count();
      assertEquals(6 * 4 + 4, fmas, "FMAs in the kernel");
      assertFalse(ir.contains("@kiln_im2col_nhwc("), "no im2col routine");
      assertFalse(Pattern.compile("call void @kiln_gemm_\\w+\\(").matcher(ir).find(), "no GEMM call");
      assertEquals(1, Pattern.compile("call void @" + def.group(1) + "\\(").matcher(ir).results().count(), "called once");
    }
  }
}
