package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.kernels.Threads;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The direct channels-last convolution for few-channel layers (dev.kiln.codegen.llvm.conv.DirectConvEmitter, the
 * resnet18 stem) against the interpreter: resnet18's stem shape, odd sizes, stride 1 and 2, no padding and padding
 * wider than the kernel's reach, batch 2, with and without bias, one and two threads; and the IR: the layer is one
 * call of its own function holding the register block of vector FMAs, with no im2col routine or GEMM.
 */
@Tag("llvm")
class DirectConvLlvmTest {
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @CsvSource({
      // n, c, h, w, oc, k, stride, pad, bias, threads
      "1, 3, 224, 224, 64, 7, 2, 3, true, 1",
      "2, 3, 17, 19, 64, 7, 2, 3, true, 2",
      "2, 3, 17, 19, 32, 7, 2, 3, false, 1",
      "1, 1, 9, 10, 16, 3, 1, 1, true, 1",
      "1, 4, 21, 18, 48, 5, 2, 0, true, 2",
      "2, 2, 12, 13, 16, 3, 1, 4, true, 1",
      "1, 3, 30, 23, 64, 7, 2, 3, true, 2",
  })
  void matchesTheInterpreter(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean bias, int threads) {
    Case cs = Case.of(n, c, h, w, oc, k, stride, pad, bias, 5);
    int before = Threads.threads();
    Threads.setThreads(threads);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights, LlvmOptions.defaults().withKeepIr(true))) {
      assertTrue(compiled.fallbackKinds().isEmpty(), compiled.report());
      assertTrue(compiled.llvmIr().contains("define internal void @kiln_conv_direct_"), "the layer takes the direct kernel");
      Tensor got = (Tensor) compiled.instantiate(cs.weights).run(List.of(cs.x)).get(0);
      double scale = 1e-6;
      for (double d : cs.want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
      assertEquals(cs.want.numel(), got.numel());
      assertTrue(got.allClose(cs.want, RTOL * scale, RTOL), cs + ": max |diff| " + got.maxAbsDiff(cs.want) + " vs scale " + scale);
    } finally {
      Threads.setThreads(before);
    }
  }

  @Test
  void stemIsOneDirectKernelOfVectorFmas() {
    Case cs = Case.of(1, 3, 224, 224, 64, 7, 2, 3, true, 1);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights, LlvmOptions.defaults().withKeepIr(true))) {
      String ir = compiled.llvmIr();
      Matcher def = Pattern.compile("define internal void @(kiln_conv_direct_\\w+)\\(").matcher(ir);
      assertTrue(def.find(), "a direct kernel is defined");
      String name = def.group(1);
      String body = ir.substring(def.start(), ir.indexOf("\n}\n", def.start()));
      // 64 channels = 4 vectors (AVX-512) or 8 (AVX2) per pixel; the register block unrolls kx (7) and ci (3)
      long fmas = Pattern.compile("call <\\d+ x float> @llvm\\.fma\\.v\\d+f32").matcher(body).results().count();
      assertTrue(fmas >= 7 * 3 * 64 / 16, "unrolled FMAs in the block: " + fmas);
      assertFalse(ir.contains("@kiln_im2col_nhwc("), "no im2col routine");
      assertFalse(Pattern.compile("call void @kiln_gemm_\\w+\\(").matcher(ir).find(), "no GEMM call");
      assertEquals(1, Pattern.compile("call void @" + name + "\\(").matcher(ir).results().count(), "called once");
    }
  }

  /** A random conv2d (+bias) + relu graph, made channels-last and fused, its weights, input and interpreter answer. */
  record Case(String text, Graph graph, Map<String, Tensor> weights, Tensor x, Tensor want) {
    static Case of(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean bias, long seed) {
      int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
      String text = """
          graph @g(%x: f32[X]) -> (f32[Y]) {
            %w = const {name="w"} : f32[W]
          BIASDECL  %y = nn.conv2d(%x, %wBIASARG) {stride=[S,S], padding=[P,P]} : f32[Y]
            %r = nn.relu(%y) : f32[Y]
            return(%r)
          }"""
          .replace("BIASDECL", bias ? "  %b = const {name=\"b\"} : f32[" + oc + "]\n" : "").replace("BIASARG", bias ? ", %b" : "")
          .replace("[X]", "[" + n + "," + c + "," + h + "," + w + "]").replace("[Y]", "[" + n + "," + oc + "," + oh + "," + ow + "]")
          .replace("[W]", "[" + oc + "," + c + "," + k + "," + k + "]").replace("S,S", stride + "," + stride).replace("P,P", pad + "," + pad);
      Graph g = IrParser.parse(text, "conv");
      Random r = new Random(seed);
      Map<String, Tensor> weights = new HashMap<>();
      weights.put("w", Tensor.fromFloats(gauss(r, oc * c * k * k, 0.2), oc, c, k, k));
      if (bias) weights.put("b", Tensor.fromFloats(gauss(r, oc, 1), oc));
      Tensor x = Tensor.fromFloats(gauss(r, n * c * h * w, 1), n, c, h, w);
      Tensor want = (Tensor) new Interpreter(g, weights).run(List.of(x)).get(0);
      return new Case(n + "x" + c + "x" + h + "x" + w + " -> " + oc + " k" + k + " s" + stride + " p" + pad + (bias ? " bias" : ""), g, weights, x, want);
    }

    dev.kiln.ir.kernel.KernelProgram program() {
      Graph opt = PassManager.parse("nhwc,fuse").run(Program.of(graph, weights)).graph();
      return KernelLowering.lower(opt, LoweringOptions.NATIVE);
    }

    @Override
    public String toString() { return text; }

    private static float[] gauss(Random r, int size, double std) {
      float[] a = new float[size];
      for (int i = 0; i < size; i++) a[i] = (float) (r.nextGaussian() * std);
      return a;
    }
  }
}
