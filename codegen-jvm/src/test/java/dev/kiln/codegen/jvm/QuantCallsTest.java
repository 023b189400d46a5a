package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantized linear and convolution nodes run on the int8 primitives ({@code QuantCall} over {@code QGemm}) in the
 * generated class, and give the interpreter's integers (or floats, for linear_dynamic) bit for bit: zero points at
 * both ends of the range, per-channel weights with nonzero zero points, saturation (a tiny output scale sends
 * values past the int32 range, which qnnpack's cvtps turns into INT32_MIN), fused relus, qi8 inputs, strides,
 * padding, dilation, groups, depthwise, and depths that are not a multiple of the vector length.
 */
class QuantCallsTest {
  /** A case: the graph text; weight values are drawn at random for its named constants. */
  record Case(String name, String ir) {
    @Override public String toString() { return name; }
  }

  static final String WPC = "qi8[6,19]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1]}";

  static List<Case> cases() {
    return List.of(
        new Case("linear qu8 zp 0, per-tensor weight", """
            graph @g(%x: qu8[5,19]{q=0.05:0}) -> (qu8[5,6]{q=0.2:3}) {
              %w = const {name="w"} : qi8[6,19]{q=0.01:0}
              %b = const {name="b"} : f32[6]
              %0 = q.linear(%x, %w, %b) {scale=0.2, zero_point=3, dtype=qu8} : qu8[5,6]{q=0.2:3}
              return(%0)
            }"""),
        new Case("linear qu8 zp 255, per-channel weight with zero points", """
            graph @g(%x: qu8[9,19]{q=0.05:255}) -> (qu8[9,6]{q=0.1:128}) {
              %w = const {name="w"} : WPC
              %b = const {name="b"} : f32[6]
              %0 = q.linear(%x, %w, %b) {scale=0.1, zero_point=128, dtype=qu8} : qu8[9,6]{q=0.1:128}
              return(%0)
            }""".replace("WPC", WPC)),
        new Case("linear_relu qi8 in and out, zp -128, no bias, rank 3", """
            graph @g(%x: qi8[2,3,19]{q=0.03:-128}) -> (qi8[2,3,6]{q=0.05:-128}) {
              %w = const {name="w"} : WPC
              %0 = q.linear_relu(%x, %w) {scale=0.05, zero_point=-128, dtype=qi8} : qi8[2,3,6]{q=0.05:-128}
              return(%0)
            }""".replace("WPC", WPC)),
        new Case("linear saturating (tiny output scale, past int32)", """
            graph @g(%x: qu8[4,19]{q=0.05:7}) -> (qu8[4,6]{q=1e-30:100}) {
              %w = const {name="w"} : WPC
              %b = const {name="b"} : f32[6]
              %0 = q.linear(%x, %w, %b) {scale=1e-30, zero_point=100, dtype=qu8} : qu8[4,6]{q=1e-30:100}
              return(%0)
            }""".replace("WPC", WPC)),
        new Case("linear_relu saturating to qmax", """
            graph @g(%x: qu8[4,19]{q=0.5:0}) -> (qu8[4,6]{q=0.001:250}) {
              %w = const {name="w"} : qi8[6,19]{q=0.5:0}
              %0 = q.linear_relu(%x, %w) {scale=0.001, zero_point=250, dtype=qu8} : qu8[4,6]{q=0.001:250}
              return(%0)
            }"""),
        new Case("linear_dynamic per-tensor with bias", """
            graph @g(%x: f32[7,19]) -> (f32[7,6]) {
              %w = const {name="w"} : qi8[6,19]{q=0.01:0}
              %b = const {name="b"} : f32[6]
              %0 = q.linear_dynamic(%x, %w, %b) : f32[7,6]
              return(%0)
            }"""),
        new Case("linear_dynamic per-channel, no bias, rank 3", """
            graph @g(%x: f32[2,5,19]) -> (f32[2,5,6]) {
              %w = const {name="w"} : WPC
              %0 = q.linear_dynamic(%x, %w) : f32[2,5,6]
              return(%0)
            }""".replace("WPC", WPC)),
        new Case("linear_dynamic k 100, 33 outputs", """
            graph @g(%x: f32[3,100]) -> (f32[3,33]) {
              %w = const {name="w"} : qi8[33,100]{q=0.004:0}
              %b = const {name="b"} : f32[33]
              %0 = q.linear_dynamic(%x, %w, %b) : f32[3,33]
              return(%0)
            }"""),
        new Case("conv2d padded, per-channel weight", """
            graph @g(%x: qu8[2,3,7,6]{q=0.03:130}) -> (qu8[2,5,7,6]{q=0.12:128}) {
              %w = const {name="w"} : qi8[5,3,3,3]{q(axis=0)=[0.004:0,0.0041:2,0.0038:-1,0.0058:0,0.0055:5]}
              %b = const {name="b"} : f32[5]
              %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=0.12, zero_point=128, dtype=qu8} : qu8[2,5,7,6]{q=0.12:128}
              return(%0)
            }"""),
        new Case("conv2d_relu strided, dilated, zp 255", """
            graph @g(%x: qu8[1,4,11,9]{q=0.02:255}) -> (qu8[1,6,5,4]{q=0.05:0}) {
              %w = const {name="w"} : qi8[6,4,3,2]{q=0.007:0}
              %b = const {name="b"} : f32[6]
              %0 = q.conv2d_relu(%x, %w, %b) {stride=[2,3], padding=[1,2], dilation=[2,2], groups=1, scale=0.05, zero_point=0, dtype=qu8} : qu8[1,6,5,4]{q=0.05:0}
              return(%0)
            }"""),
        new Case("conv2d depthwise", """
            graph @g(%x: qu8[2,4,6,6]{q=0.02:10}) -> (qu8[2,4,6,6]{q=0.03:120}) {
              %w = const {name="w"} : qi8[4,1,3,3]{q(axis=0)=[0.01:0,0.02:0,0.015:0,0.01:0]}
              %b = const {name="b"} : f32[4]
              %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=4, scale=0.03, zero_point=120, dtype=qu8} : qu8[2,4,6,6]{q=0.03:120}
              return(%0)
            }"""),
        new Case("conv2d two groups, qi8, no bias", """
            graph @g(%x: qi8[1,6,5,5]{q=0.02:-5}) -> (qi8[1,4,3,3]{q=0.04:3}) {
              %w = const {name="w"} : qi8[4,3,3,3]{q=0.01:0}
              %0 = q.conv2d(%x, %w) {stride=[1,1], padding=[0,0], dilation=[1,1], groups=2, scale=0.04, zero_point=3, dtype=qi8} : qi8[1,4,3,3]{q=0.04:3}
              return(%0)
            }"""));
  }

  /** A tensor of {@code t}: raw integers over the whole range (ends included) or Gaussian floats. */
  static Tensor random(Random r, TensorType t) {
    long[] shape = t.shape().sizes();
    int n = (int) Tensor.numel(shape);
    if (t.dtype() == DType.F32) {
      float[] f = new float[n];
      for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * 2);
      return Tensor.fromFloats(f, shape);
    }
    long lo = QuantOps.qmin(t.dtype()), hi = QuantOps.qmax(t.dtype());
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      int pick = r.nextInt(8);
      v[i] = pick == 0 ? lo : pick == 1 ? hi : lo + r.nextLong(hi - lo + 1);
    }
    return Tensor.ofLongs(t.dtype(), v, shape);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void int8PrimitivesEqualTheInterpreterBitForBit(Case c) {
    Graph g = IrParser.parse(c.ir(), c.name());
    dev.kiln.ir.Verifier.verify(g);
    Random r = new Random(c.name().hashCode());
    Map<String, Tensor> weights = new java.util.HashMap<>();
    g.body().nodes().stream().filter(n -> n.hasAttr("name"))
        .forEach(n -> weights.put(n.attrStr("name"), random(r, (TensorType) n.result().type())));
    KernelProgram p = KernelLowering.lower(g);
    assertEquals(1, new QuantCalls(p).count(), "the q node runs on the int8 primitives");
    JvmCompiled compiled = JvmBackend.compile(p, weights, new JvmOptions("dev.kiln.gen.Q", true));
    byte[] cls = compiled.classes().get("dev.kiln.gen.Q");
    assertTrue(new String(cls, StandardCharsets.ISO_8859_1).contains(QuantCalls.QUANT), "the class calls QuantCall");
    CompiledModel model = compiled.instantiate(weights);
    Interpreter interp = new Interpreter(g, weights);
    for (int trial = 0; trial < 4; trial++) {
      List<Object> in = new ArrayList<>();
      for (Value v : g.params()) in.add(random(r, (TensorType) v.type()));
      Tensor want = (Tensor) interp.run(in).getFirst(), got = (Tensor) model.run(in).getFirst();
      assertEquals(want.dtype(), got.dtype());
      assertArrayEquals(want.shape(), got.shape());
      assertArrayEquals(want.segment().toArray(ValueLayout.JAVA_BYTE), got.segment().toArray(ValueLayout.JAVA_BYTE), c.name() + ", trial " + trial);
    }
  }
}
