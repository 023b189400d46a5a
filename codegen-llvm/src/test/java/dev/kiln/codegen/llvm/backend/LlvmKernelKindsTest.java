package dev.kiln.codegen.llvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel kind compiled to native code against the reference interpreter on random inputs: each case is a
 * small graph, run through fuse (and nhwc where named), lowered, emitted, JIT-compiled and run. Cases that must be
 * native assert there is no JVM fallback, so a silent fallback cannot hide a missing kernel.
 */
@Tag("llvm")
class LlvmKernelKindsTest {
  record Case(String name, String pipeline, String fallback, String ir) {
    @Override public String toString() { return name; }
  }

  static List<Case> cases() {
    return List.of(
        new Case("relu", "", null, """
            graph @g(%x: f32[2,3,4]) -> (f32[2,3,4]) {
              %y = nn.relu(%x) : f32[2,3,4]
              return(%y)
            }"""),
        new Case("broadcast-chain", "fuse", null, """
            graph @g(%x: f32[2,3,4,5], %b: f32[3,1,1]) -> (f32[2,3,4,5]) {
              %h = const {value=0.5} : float
              %0 = nn.add(%x, %b) {alpha=1} : f32[2,3,4,5]
              %1 = nn.mul(%0, %h) : f32[2,3,4,5]
              %2 = nn.gelu(%1) {approximate="none"} : f32[2,3,4,5]
              %3 = nn.sigmoid(%2) : f32[2,3,4,5]
              %4 = nn.hardswish(%3) : f32[2,3,4,5]
              %5 = nn.tanh(%4) : f32[2,3,4,5]
              return(%5)
            }"""),
        new Case("compare-where", "fuse", null, """
            graph @g(%x: f32[4,6], %y: f32[6]) -> (f32[4,6], bool[4,6]) {
              %m = nn.gt(%x, %y) : bool[4,6]
              %n = nn.logical_not(%m) : bool[4,6]
              %w = nn.where(%m, %x, %y) : f32[4,6]
              %t = nn.tanh(%w) : f32[4,6]
              return(%t, %n)
            }"""),
        new Case("conv-epilogue", "fuse", null, """
            graph @g(%x: f32[1,3,8,8], %w: f32[4,3,3,3], %b: f32[4]) -> (f32[1,4,4,4]) {
              %0 = nn.conv2d(%x, %w, %b) {stride=[2,2], padding=[1,1]} : f32[1,4,4,4]
              %1 = nn.relu(%0) : f32[1,4,4,4]
              return(%1)
            }"""),
        new Case("conv-grouped-dilated-batch2", "", null, """
            graph @g(%x: f32[2,4,9,7], %w: f32[6,2,3,2], %w1: f32[5,6,1,1]) -> (f32[2,5,9,6]) {
              %0 = nn.conv2d(%x, %w) {padding=[2,1], dilation=[2,1], groups=2} : f32[2,6,9,8]
              %1 = nn.conv2d(%0, %w1) {padding=[0,0]} : f32[2,5,9,8]
              %2 = nn.slice(%1) {dim=3, start=0, end=6, step=1} : f32[2,5,9,6]
              return(%2)
            }"""),
        new Case("conv-depthwise-nchw", "", null, """
            graph @g(%x: f32[1,5,7,7], %w: f32[5,1,3,3], %b: f32[5]) -> (f32[1,5,4,4]) {
              %0 = nn.conv2d(%x, %w, %b) {stride=[2,2], padding=[1,1], groups=5} : f32[1,5,4,4]
              return(%0)
            }"""),
        new Case("conv-nhwc-pool", "fuse,nhwc", null, """
            graph @g(%x: f32[1,4,8,8], %w: f32[6,4,3,3], %w2: f32[6,1,3,3], %w3: f32[8,6,1,1]) -> (f32[1,8,2,2]) {
              %0 = nn.conv2d(%x, %w) {padding=[1,1]} : f32[1,6,8,8]
              %1 = nn.relu(%0) : f32[1,6,8,8]
              %2 = nn.conv2d(%1, %w2) {padding=[1,1], groups=6} : f32[1,6,8,8]
              %3 = nn.max_pool2d(%2) {kernel_size=[3,3], stride=[2,2], padding=[1,1]} : f32[1,6,4,4]
              %4 = nn.avg_pool2d(%3) {kernel_size=[2,2]} : f32[1,6,2,2]
              %5 = nn.conv2d(%4, %w3) : f32[1,8,2,2]
              return(%5)
            }"""),
        new Case("linear-matmul", "fuse", null, """
            graph @g(%x: f32[3,8], %w: f32[5,8], %b: f32[5], %a: f32[2,4,5], %c: f32[2,5,3], %t: f32[40,33]) -> (f32[3,5], f32[2,4,3], f32[33,33]) {
              %0 = nn.linear(%x, %w, %b) : f32[3,5]
              %1 = nn.relu(%0) : f32[3,5]
              %2 = nn.matmul(%a, %c) : f32[2,4,3]
              %3 = nn.transpose(%t) {dim0=0, dim1=1} : f32[33,40]
              %4 = nn.matmul(%3, %t) : f32[33,33]
              return(%1, %2, %4)
            }"""),
        new Case("movement", "", null, """
            graph @g(%x: f32[2,3,4]) -> (f32[4,3,2], f32[6,4], f32[2,1,4], f32[2,6,4]) {
              %0 = nn.permute(%x) {dims=[2,1,0]} : f32[4,3,2]
              %1 = nn.reshape(%x) {shape=[6,4]} : f32[6,4]
              %2 = nn.slice(%x) {dim=1, start=1, end=3, step=2} : f32[2,1,4]
              %3 = nn.cat(%x, %x) {dim=1} : f32[2,6,4]
              return(%0, %1, %2, %3)
            }"""),
        new Case("reduce-softmax", "", null, """
            graph @g(%x: f32[2,3,5]) -> (f32[2,5], f32[2,3,1], f32[2,3,5], f32[2,3,5], f32[2,3,1,1]) {
              %0 = nn.mean(%x) {dims=[1], keepdim=false} : f32[2,5]
              %1 = nn.amax(%x) {dims=[-1], keepdim=true} : f32[2,3,1]
              %2 = nn.softmax(%x) {dim=-1} : f32[2,3,5]
              %3 = nn.log_softmax(%x) {dim=1} : f32[2,3,5]
              %4 = nn.unsqueeze(%x) {dim=3} : f32[2,3,5,1]
              %5 = nn.adaptive_avg_pool2d(%4) {output_size=[1,1]} : f32[2,3,1,1]
              return(%0, %1, %2, %3, %5)
            }"""),
        new Case("reference-fallback", "", "reference nn.argmax", """
            graph @g(%x: f32[2,6], %g: f32[6], %b: f32[6]) -> (f32[2,6], i64[2]) {
              %0 = nn.layer_norm(%x, %g, %b) {normalized_shape=[6], eps=1.0E-5} : f32[2,6]
              %1 = nn.relu(%0) : f32[2,6]
              %2 = nn.argmax(%1) {dim=1, keepdim=false} : i64[2]
              return(%1, %2)
            }"""),
        new Case("gemm-alpha-beta", "", null, """
            graph @g(%i: f32[3,4], %a: f32[3,5], %b: f32[5,4]) -> (f32[3,4]) {
              %0 = nn.addmm(%i, %a, %b) {beta=0.5, alpha=2.0} : f32[3,4]
              %1 = nn.relu(%0) : f32[3,4]
              return(%1)
            }"""),
        new Case("jvm-fallback", "", "jvm nn.pow", """
            graph @g(%x: f32[3,4]) -> (f32[3,4]) {
              %0 = nn.relu(%x) : f32[3,4]
              %1 = nn.to(%0) {dtype=i64} : i64[3,4]
              %2 = nn.pow(%1, %1) : i64[3,4]
              %3 = nn.to(%2) {dtype=f32} : f32[3,4]
              %4 = nn.add(%0, %3) {alpha=1} : f32[3,4]
              return(%4)
            }"""));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesTheInterpreter(Case c) {
    Graph g = IrParser.parse(c.ir(), c.name());
    Random rnd = new Random(c.name().hashCode());
    List<Object> inputs = new ArrayList<>();
    for (Value p : g.params()) inputs.add(random(p, rnd));
    List<Object> want = new Interpreter(IrParser.parse(c.ir(), c.name()), Map.of()).run(inputs);
    Graph opt = c.pipeline().isEmpty() ? g : PassManager.parse(c.pipeline()).run(Program.of(g)).graph();
    KernelProgram kp = KernelLowering.lower(opt);
    try (LlvmCompiled compiled = LlvmBackend.compile(kp, Map.of(), LlvmOptions.defaults())) {
      System.out.println("[llvm] " + c.name() + ": " + compiled.report());
      if (c.fallback() == null) assertTrue(compiled.fallbackKinds().isEmpty(), c.name() + " fell back: " + compiled.fallbackKinds());
      else assertTrue(compiled.fallbackKinds().keySet().stream().anyMatch(k -> k.startsWith(c.fallback()))
          && !compiled.nativeKinds().isEmpty(), "expected a " + c.fallback() + " fallback beside native kernels: " + compiled.report());
      List<Object> got = compiled.instantiate(new HashMap<>()).run(inputs);
      assertEquals(want.size(), got.size());
      for (int i = 0; i < want.size(); i++) {
        Tensor w = (Tensor) want.get(i), h = (Tensor) got.get(i);
        if (w.dtype() == dev.kiln.ir.DType.I64) {
          assertEquals(java.util.Arrays.toString(w.toLongArray()), java.util.Arrays.toString(h.toLongArray()), c.name() + " output " + i);
          continue;
        }
        assertEquals(java.util.Arrays.toString(w.shape()), java.util.Arrays.toString(h.shape()), c.name() + " output " + i);
        assertEquals(w.dtype(), h.dtype(), c.name() + " output " + i);
        assertTrue(h.allClose(w, 1e-4, 1e-4), c.name() + " output " + i + ": max |diff| " + h.maxAbsDiff(w) + "\n" + KernelPrinter.print(kp));
      }
    }
  }

  static Object random(Value p, Random rnd) {
    TensorType t = p.tensorType();
    long[] s = t.shape().sizes();
    float[] d = new float[(int) t.shape().numel()];
    for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
    return Tensor.fromFloats(d, s);
  }
}
