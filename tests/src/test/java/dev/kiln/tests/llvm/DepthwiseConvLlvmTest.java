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
 * The channels-last depthwise convolution kernel (dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter) against the
 * interpreter: mobilenet_v2's depthwise shapes, stride 1 and 2, odd sizes, channel counts that are not a multiple of
 * the vector width, padding 0 to 2 and a 5x5 kernel, batch 2, no bias, relu6 / relu / no activation, one and two
 * threads, and the old Kernel IR path ({@code -Dkiln.llvm.dwConv=false}); and the IR: the layer is one call of its
 * own function of vector FMAs with no floating-point select (no padding test per tap).
 */
@Tag("llvm")
class DepthwiseConvLlvmTest {
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @CsvSource({
      // n, c, h, w, k, stride, pad, bias, act, threads
      "1, 144, 56, 56, 3, 1, 1, true, relu6, 1",
      "1, 96, 112, 112, 3, 2, 1, true, relu6, 1",
      "1, 32, 112, 112, 3, 1, 1, true, relu6, 2",
      "1, 960, 7, 7, 3, 1, 1, true, relu6, 1",
      "1, 576, 14, 14, 3, 2, 1, true, relu6, 2",
      "2, 20, 13, 11, 3, 2, 1, true, relu6, 1",
      "2, 7, 9, 10, 3, 1, 1, false, none, 2",
      "1, 3, 5, 4, 3, 1, 1, true, relu, 1",
      "2, 40, 15, 17, 5, 1, 2, true, none, 1",
      "1, 24, 12, 9, 3, 2, 0, false, relu6, 2",
      "1, 33, 8, 21, 5, 2, 2, true, relu, 1",
  })
  void matchesTheInterpreter(int n, int c, int h, int w, int k, int stride, int pad, boolean bias, String act, int threads) {
    Case cs = Case.of(n, c, h, w, k, stride, pad, bias, act, 11);
    check(cs, threads, true);
  }

  @ParameterizedTest
  @CsvSource({"1, 20, 13, 11, 3, 2, 1, true, relu6, 1", "2, 144, 10, 9, 3, 1, 1, false, none, 2"})
  void oldPathStillMatches(int n, int c, int h, int w, int k, int stride, int pad, boolean bias, String act, int threads) {
    String before = System.getProperty("kiln.llvm.dwConv");
    System.setProperty("kiln.llvm.dwConv", "false");
    try {
      check(Case.of(n, c, h, w, k, stride, pad, bias, act, 12), threads, false);
    } finally {
      if (before == null) System.clearProperty("kiln.llvm.dwConv");
      else System.setProperty("kiln.llvm.dwConv", before);
    }
  }

  private static void check(Case cs, int threads, boolean newKernel) {
    int before = Threads.threads();
    Threads.setThreads(threads);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights, LlvmOptions.defaults().withKeepIr(true))) {
      assertTrue(compiled.fallbackKinds().isEmpty(), compiled.report());
      assertEquals(newKernel, compiled.llvmIr().contains("define internal void @kiln_conv_dw_"), "which kernel the layer takes");
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
  void layerIsOneKernelOfVectorFmasWithoutPaddingTests() {
    Case cs = Case.of(1, 144, 56, 56, 3, 1, 1, true, "none", 3);
    try (LlvmCompiled compiled = LlvmBackend.compile(cs.program(), cs.weights, LlvmOptions.defaults().withKeepIr(true))) {
      String ir = compiled.llvmIr();
      Matcher def = Pattern.compile("define internal void @(kiln_conv_dw_\\w+)\\(").matcher(ir);
      assertTrue(def.find(), "a depthwise kernel is defined");
      String name = def.group(1);
      String body = ir.substring(def.start(), ir.indexOf("\n}\n", def.start()));
      // the interior block: 8 (AVX-512) or 4 (AVX2) pixels x 3 kx per ky, plus the edge blocks
      long fmas = Pattern.compile("call <\\d+ x float> @llvm\\.fma\\.v\\d+f32").matcher(body).results().count();
      assertTrue(fmas >= 4 * 3, "vector FMAs: " + fmas);
      assertFalse(Pattern.compile("select (<\\d+ x )?i1>? [^,]+, (<\\d+ x )?float").matcher(body).find(),
          "no floating-point select: padding is left out at compile time, not tested per tap");
      assertFalse(ir.contains("@kiln_im2col_nhwc("), "no im2col routine");
      assertFalse(Pattern.compile("call void @kiln_gemm_\\w+\\(").matcher(ir).find(), "no GEMM call");
      assertEquals(1, Pattern.compile("call void @" + name + "\\(").matcher(ir).results().count(), "called once");
    }
  }

  /** A random depthwise conv2d (+bias) (+relu / relu6) graph, made channels-last and fused, and its answer. */
  record Case(String text, Graph graph, Map<String, Tensor> weights, Tensor x, Tensor want) {
    static Case of(int n, int c, int h, int w, int k, int stride, int pad, boolean bias, String act, long seed) {
      int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
      String actLine = switch (act) {
        case "relu6" -> "  %r = nn.hardtanh(%y) {min_val=0.0, max_val=6.0} : f32[Y]\n";
        case "relu" -> "  %r = nn.relu(%y) : f32[Y]\n";
        default -> "";
      };
      String text = """
          graph @g(%x: f32[X]) -> (f32[Y]) {
            %w = const {name="w"} : f32[W]
          BIASDECL  %y = nn.conv2d(%x, %wBIASARG) {stride=[S,S], padding=[P,P], groups=G} : f32[Y]
          ACT  return(RET)
          }"""
          .replace("BIASDECL", bias ? "  %b = const {name=\"b\"} : f32[" + c + "]\n" : "").replace("BIASARG", bias ? ", %b" : "")
          .replace("ACT", actLine).replace("RET", actLine.isEmpty() ? "%y" : "%r")
          .replace("[X]", "[" + n + "," + c + "," + h + "," + w + "]").replace("[Y]", "[" + n + "," + c + "," + oh + "," + ow + "]")
          .replace("[W]", "[" + c + ",1," + k + "," + k + "]").replace("S,S", stride + "," + stride).replace("P,P", pad + "," + pad)
          .replace("groups=G", "groups=" + c);
      Graph g = IrParser.parse(text, "dwconv");
      Random r = new Random(seed);
      Map<String, Tensor> weights = new HashMap<>();
      weights.put("w", Tensor.fromFloats(gauss(r, c * k * k, 0.5), c, 1, k, k));
      if (bias) weights.put("b", Tensor.fromFloats(gauss(r, c, 1), c));
      Tensor x = Tensor.fromFloats(gauss(r, n * c * h * w, 2), n, c, h, w);
      Tensor want = (Tensor) new Interpreter(g, weights).run(List.of(x)).get(0);
      return new Case(n + "x" + c + "x" + h + "x" + w + " k" + k + " s" + stride + " p" + pad + (bias ? " bias " : " ") + act, g, weights, x, want);
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
