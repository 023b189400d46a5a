package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every whole-node int8 routine of the LLVM backend in one small network (quantize, conv2d_relu with padding, a
 * 1x1 conv, add_relu, max pool, dequantize), compiled for the host (vpdpbusd) and x86-64-v3: JIT on 1 and 2 threads
 * and the AOT artifact loaded by {@link KilnModel} give the interpreter's bits, and no q op is left on the
 * interpreter.
 */
@Tag("llvm")
class QuantLlvmNodesAotTest {
  static final String IR = """
      graph @g(%x: f32[1,3,12,20]) -> (f32[1,8,6,10]) {
        %q = q.quantize_per_tensor(%x) {scale=0.02, zero_point=128, dtype=qu8} : qu8[1,3,12,20]{q=0.02:128}
        %w = const {name="w"} : qi8[8,3,3,3]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1,0.01:0,0.02:5]}
        %b = const {name="b"} : f32[8]
        %c = q.conv2d_relu(%q, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=0.05, zero_point=0, dtype=qu8} : qu8[1,8,12,20]{q=0.05:0}
        %w2 = const {name="w2"} : qi8[8,8,1,1]{q=0.01:0}
        %c2 = q.conv2d(%c, %w2) {stride=[1,1], padding=[0,0], dilation=[1,1], groups=1, scale=0.04, zero_point=100, dtype=qu8} : qu8[1,8,12,20]{q=0.04:100}
        %a = q.add_relu(%c, %c2) {scale=0.06, zero_point=3, dtype=qu8} : qu8[1,8,12,20]{q=0.06:3}
        %m = q.max_pool2d(%a) {kernel_size=[2,2], stride=[2,2]} : qu8[1,8,6,10]{q=0.06:3}
        %d = q.dequantize(%m) : f32[1,8,6,10]
        return(%d)
      }""";

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"host", "x86-64-v3"})
  void wholeNodeRoutinesEqualTheInterpreterInJitAndAot(String target) throws Exception {
    Graph g = IrParser.parse(IR, "net");
    Random r = new Random(8);
    Map<String, Tensor> weights = new java.util.TreeMap<>();
    for (var n : g.body().nodes())
      if (n.op().name().equals("const")) {
        var t = (dev.kiln.ir.TensorType) n.result(0).type();
        weights.put(n.attrStr("name"), random(r, t));
      }
    LlvmOptions opts = new LlvmOptions(target, false);
    String fork = System.getProperty("kiln.native.minForkWork");
    System.setProperty("kiln.native.minForkWork", "0");
    try (LlvmCompiled c = LlvmBackend.compile(IrParser.parse(IR, "net"), weights, opts)) {
      assertFalse(c.fallbackKinds().keySet().stream().anyMatch(k -> k.startsWith("reference q.")), c.report());
      assertTrue(c.nativeKinds().containsKey("int8 q.add_relu"), c.report());
      var one = c.instantiate(weights, 1);
      var two = c.instantiate(weights, 2);
      AotModel aot = AotModelCompiler.compile(IrParser.parse(IR, "net"), weights, opts);
      Path file = dir.resolve("net-" + target + ".kiln");
      ArtifactWriter.writeNative(file, g, weights, "-O2", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
      KilnModel loaded = KilnModel.load(file);
      Interpreter interp = new Interpreter(g, weights);
      for (int trial = 0; trial < 3; trial++) {
        float[] v = new float[3 * 12 * 20];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * (trial + 1));
        Tensor x = Tensor.fromFloats(v, 1, 3, 12, 20);
        byte[] want = bytes((Tensor) interp.run(List.of(x)).getFirst());
        String at = target + ", input " + trial;
        assertArrayEquals(want, bytes((Tensor) one.run(List.of(x)).getFirst()), at + ": JIT, 1 thread");
        assertArrayEquals(want, bytes((Tensor) two.run(List.of(x)).getFirst()), at + ": JIT, 2 threads");
        assertArrayEquals(want, bytes(loaded.run(x).getFirst()), at + ": AOT artifact");
      }
    } finally {
      if (fork == null) System.clearProperty("kiln.native.minForkWork");
      else System.setProperty("kiln.native.minForkWork", fork);
    }
  }

  /** Raw values over the dtype's range (both ends included), normal floats for f32. */
  private static Tensor random(Random r, dev.kiln.ir.TensorType t) {
    long[] shape = t.shape().sizes();
    int n = (int) Tensor.numel(shape);
    if (t.dtype() == dev.kiln.ir.DType.F32) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
      return Tensor.fromFloats(f, shape);
    }
    long lo = dev.kiln.ir.ops.QuantOps.qmin(t.dtype()), hi = dev.kiln.ir.ops.QuantOps.qmax(t.dtype());
    long[] v = new long[n];
    for (int i = 0; i < n; i++) v[i] = i % 13 == 0 ? (i % 2 == 0 ? lo : hi) : lo + r.nextInt((int) (hi - lo + 1));
    return Tensor.ofLongs(t.dtype(), v, shape);
  }

  private static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
