package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantize, dequantize, requantize, add, relu and pooling nodes run on {@code QuantOpCall} in the generated class and
 * give the interpreter's bits: zero points at both ends of qu8 and qi8, saturation, rounding ties (halving scales,
 * windows of 2 and 4, inputs on half steps), both of add's paths (qnnpack's integer add for qu8, f32 for qi8 and
 * other result dtypes) and a scale ratio near 2^-14, max pools with padding, dilation and ceil_mode, both roundings of adaptive
 * average pooling, rank-3 inputs and odd sizes.
 */
class QuantOpCallsTest {
  static final Map<String, String> CASES = new LinkedHashMap<>();

  private static void unary(String name, String in, String out, String op) {
    CASES.put(name, "graph @g(%x: " + in + ") -> (" + out + ") {\n  %0 = " + op + " : " + out + "\n  return(%0)\n}");
  }

  private static void binary(String name, String a, String b, String out, String op) {
    CASES.put(name, "graph @g(%x: " + a + ", %y: " + b + ") -> (" + out + ") {\n  %0 = " + op + " : " + out + "\n  return(%0)\n}");
  }

  static {
    unary("quantize qu8 zp 255", "f32[3,50]", "qu8[3,50]{q=0.02:255}", "q.quantize_per_tensor(%x) {scale=0.02, zero_point=255, dtype=qu8}");
    unary("quantize qi8 zp -128", "f32[77]", "qi8[77]{q=0.03:-128}", "q.quantize_per_tensor(%x) {scale=0.03, zero_point=-128, dtype=qi8}");
    unary("dequantize qu8", "qu8[2,3,9]{q=0.013:200}", "f32[2,3,9]", "q.dequantize(%x)");
    unary("dequantize qi8", "qi8[40]{q=0.7:127}", "f32[40]", "q.dequantize(%x)");
    unary("requantize halving scale (ties)", "qu8[3,41]{q=0.1:0}", "qu8[3,41]{q=0.2:1}", "q.requantize(%x) {scale=0.2, zero_point=1, dtype=qu8}");
    unary("requantize qi8 to qu8 saturating", "qi8[77]{q=0.02:-128}", "qu8[77]{q=0.011:0}", "q.requantize(%x) {scale=0.011, zero_point=0, dtype=qu8}");
    unary("relu qu8 zp 255", "qu8[3,37]{q=0.05:255}", "qu8[3,37]{q=0.05:255}", "q.relu(%x)");
    unary("relu qi8", "qi8[2,3,11]{q=0.05:-3}", "qi8[2,3,11]{q=0.05:-3}", "q.relu(%x)");
    binary("add qu8", "qu8[1,4,5,7]{q=0.05:3}", "qu8[1,4,5,7]{q=0.07:250}", "qu8[1,4,5,7]{q=0.06:128}", "q.add(%x, %y) {scale=0.06, zero_point=128, dtype=qu8}");
    binary("add_relu qu8 saturating", "qu8[3,33]{q=0.5:0}", "qu8[3,33]{q=0.3:255}", "qu8[3,33]{q=0.01:7}", "q.add_relu(%x, %y) {scale=0.01, zero_point=7, dtype=qu8}");
    binary("add qu8 small ratio", "qu8[50]{q=0.0001:17}", "qu8[50]{q=0.5:40}", "qu8[50]{q=1.5:9}", "q.add(%x, %y) {scale=1.5, zero_point=9, dtype=qu8}");
    binary("add qi8", "qi8[2,3,7]{q=0.05:-3}", "qi8[2,3,7]{q=0.07:100}", "qi8[2,3,7]{q=0.06:-128}", "q.add(%x, %y) {scale=0.06, zero_point=-128, dtype=qi8}");
    binary("add_relu qi8 to qu8", "qi8[33]{q=0.05:127}", "qi8[33]{q=0.1:-128}", "qu8[33]{q=0.04:9}", "q.add_relu(%x, %y) {scale=0.04, zero_point=9, dtype=qu8}");
    binary("add qu8 to qi8", "qu8[2,21]{q=0.05:255}", "qu8[2,21]{q=0.05:0}", "qi8[2,21]{q=0.1:0}", "q.add(%x, %y) {scale=0.1, zero_point=0, dtype=qi8}");
    unary("max_pool 3x3 s2 p1 qu8", "qu8[1,3,11,12]{q=0.1:3}", "qu8[1,3,6,6]{q=0.1:3}", "q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[1,1]}");
    unary("max_pool 2x2 dilated qi8", "qi8[2,2,7,9]{q=0.1:-5}", "qi8[2,2,5,7]{q=0.1:-5}", "q.max_pool2d(%x) {kernel_size=[2,2], stride=[1,1], padding=[0,0], dilation=[2,2]}");
    unary("max_pool ceil_mode qi8 2x2 s2 p1", "qi8[2,2,7,9]{q=0.1:-5}", "qi8[2,2,4,5]{q=0.1:-5}", "q.max_pool2d(%x) {kernel_size=[2,2], stride=[2,2], padding=[1,1], ceil_mode=true}");
    unary("max_pool 3x3 s2 qi8 rank 3, one column", "qi8[2,9,3]{q=0.1:-5}", "qi8[2,4,1]{q=0.1:-5}", "q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[0,0]}");
    unary("avgpool 7x7 to 1x1 (qnnpack)", "qu8[1,64,7,7]{q=0.05:3}", "qu8[1,64,1,1]{q=0.05:3}", "q.adaptive_avg_pool2d(%x) {output_size=[1,1]}");
    unary("avgpool 8x8 to 2x4 zp 255 (qnnpack)", "qu8[2,5,8,8]{q=0.3:255}", "qu8[2,5,2,4]{q=0.3:255}", "q.adaptive_avg_pool2d(%x) {output_size=[2,4]}");
    unary("avgpool 10x9 to 3x4 (nhwc)", "qu8[1,3,10,9]{q=0.02:0}", "qu8[1,3,3,4]{q=0.02:0}", "q.adaptive_avg_pool2d(%x) {output_size=[3,4]}");
    unary("avgpool qi8 zp 127 rank 3", "qi8[4,6,6]{q=0.07:127}", "qi8[4,3,3]{q=0.07:127}", "q.adaptive_avg_pool2d(%x) {output_size=[3,3]}");
    unary("avgpool qi8 zp -128", "qi8[2,5,6,8]{q=0.1:-128}", "qi8[2,5,2,2]{q=0.1:-128}", "q.adaptive_avg_pool2d(%x) {output_size=[2,2]}");
  }

  static List<String> cases() { return List.copyOf(CASES.keySet()); }

  private static JvmCompiled compile(String name, Graph g) {
    KernelProgram p = KernelLowering.lower(g);
    return JvmBackend.compile(p, new HashMap<>(), new JvmOptions("dev.kiln.gen.QO", true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void kernelsEqualTheInterpreterBitForBit(String name) {
    Graph g = IrParser.parse(CASES.get(name), name);
    dev.kiln.ir.Verifier.verify(g);
    assertEquals(1, new QuantCalls(KernelLowering.lower(g)).count(), "the q node runs on QuantOpCall");
    JvmCompiled compiled = compile(name, g);
    assertTrue(new String(compiled.classes().get("dev.kiln.gen.QO"), StandardCharsets.ISO_8859_1).contains(QuantCalls.OPS), "the class calls QuantOpCall");
    CompiledModel model = compiled.instantiate(new HashMap<>());
    Interpreter interp = new Interpreter(g, new HashMap<>());
    Random r = new Random(name.hashCode());
    for (int trial = 0; trial < 4; trial++) {
      List<Object> in = new ArrayList<>();
      for (Value v : g.params()) in.add(trial == 3 && v.type() instanceof TensorType t && t.dtype() == dev.kiln.ir.DType.F32 ? halfSteps(t) : QuantCallsTest.random(r, (TensorType) v.type()));
      Tensor want = (Tensor) interp.run(in).getFirst(), got = (Tensor) model.run(in).getFirst();
      assertEquals(want.dtype(), got.dtype());
      assertArrayEquals(want.shape(), got.shape());
      assertArrayEquals(want.contiguous().segment().toArray(ValueLayout.JAVA_BYTE), got.contiguous().segment().toArray(ValueLayout.JAVA_BYTE), name + ", trial " + trial);
    }
  }

  /** Floats on half quantization steps of the result's scale (ties), with signed zeros, infinities and NaN. */
  private static Tensor halfSteps(TensorType t) {
    int n = (int) Tensor.numel(t.shape().sizes());
    float[] v = new float[n];
    for (int i = 0; i < n; i++)
      v[i] = switch (i % 9) {
        case 0 -> -0f;
        case 1 -> Float.POSITIVE_INFINITY;
        case 2 -> Float.NaN;
        case 3 -> -1e30f;
        default -> (i - n / 2) * 0.01f + 0.005f * (i % 2);
      };
    return Tensor.fromFloats(v, t.shape().sizes());
  }

  /** An operand of the wrong shape or dtype is refused with the node, the operand and what was expected. */
  @Test
  void aWrongOperandIsNamed() {
    Graph g = IrParser.parse(CASES.get("add qu8"), "add qu8");
    var call = new dev.kiln.runtime.interp.QuantOpCall(g, new HashMap<>());
    Tensor ok = QuantCallsTest.random(new Random(1), (TensorType) g.params().get(0).type());
    Tensor wrong = Tensor.ofLongs(dev.kiln.ir.DType.QU8, new long[35], 1, 5, 7);
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> call.run(List.of(ok, wrong)));
    assertTrue(e.getMessage().contains("q.add") && e.getMessage().contains("operand 1") && e.getMessage().contains("[1,4,5,7]"), e.getMessage());
  }

  /** {@code -Dkiln.jvm.int8Ops=false} leaves these nodes on the interpreter. */
  @Test
  void theSwitchKeepsThemOnTheInterpreter() {
    String old = System.getProperty("kiln.jvm.int8Ops");
    System.setProperty("kiln.jvm.int8Ops", "false");
    try {
      for (String name : CASES.keySet()) {
        Graph g = IrParser.parse(CASES.get(name), name);
        assertEquals(0, new QuantCalls(KernelLowering.lower(g)).count(), name);
        assertFalse(new String(compile(name, g).classes().get("dev.kiln.gen.QO"), StandardCharsets.ISO_8859_1).contains(QuantCalls.OPS), name);
      }
    } finally {
      if (old == null) System.clearProperty("kiln.jvm.int8Ops");
      else System.setProperty("kiln.jvm.int8Ops", old);
    }
  }
}
