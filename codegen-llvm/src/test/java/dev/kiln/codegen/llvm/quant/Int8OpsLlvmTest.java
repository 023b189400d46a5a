package dev.kiln.codegen.llvm.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The int8 routines of {@link Int8AvgPoolIr}, {@link Int8RequantIr}, {@link Int8MatmulIr} and max pooling with
 * ceil_mode against the interpreter, bit for bit, on the host and x86-64-v3, 1 and 2 threads ({@link Int8LlvmTest#check},
 * inputs covering each dtype's ends): adaptive average pooling on both of its roundings (qnnpack when the windows tile
 * a qu8 input, the NHWC kernel otherwise; windows of 2 and 4 make ties), requantize between dtypes, per channel on
 * either side, with halving scales (ties) and saturation; per-channel quantize; qi8 add and add with another result dtype (add's f32 path);
 * matmul with batches, a broadcast operand and odd sizes; relu.
 */
@Tag("llvm")
class Int8OpsLlvmTest {
  static final Map<String, String> CASES = new LinkedHashMap<>();

  private static void unary(String name, String in, String out, String op) {
    CASES.put(name, "graph @g(%x: " + in + ") -> (" + out + ") {\n  %0 = " + op + " : " + out + "\n  return(%0)\n}");
  }

  private static void binary(String name, String a, String b, String out, String op) {
    CASES.put(name, "graph @g(%x: " + a + ", %y: " + b + ") -> (" + out + ") {\n  %0 = " + op + " : " + out + "\n  return(%0)\n}");
  }

  static {
    unary("avgpool 7x7 to 1x1 (resnet head, qnnpack)", "qu8[1,64,7,7]{q=0.05:3}", "qu8[1,64,1,1]{q=0.05:3}", "q.adaptive_avg_pool2d(%x) {output_size=[1,1]}");
    unary("avgpool 8x8 to 2x4 zp 255 (qnnpack)", "qu8[2,5,8,8]{q=0.3:255}", "qu8[2,5,2,4]{q=0.3:255}", "q.adaptive_avg_pool2d(%x) {output_size=[2,4]}");
    unary("avgpool 10x9 to 3x4 (nhwc, overlapping)", "qu8[1,3,10,9]{q=0.02:0}", "qu8[1,3,3,4]{q=0.02:0}", "q.adaptive_avg_pool2d(%x) {output_size=[3,4]}");
    unary("avgpool qi8 6x8 to 2x2 zp -128", "qi8[2,5,6,8]{q=0.1:-128}", "qi8[2,5,2,2]{q=0.1:-128}", "q.adaptive_avg_pool2d(%x) {output_size=[2,2]}");
    unary("avgpool qi8 zp 127 rank 3", "qi8[4,6,6]{q=0.07:127}", "qi8[4,3,3]{q=0.07:127}", "q.adaptive_avg_pool2d(%x) {output_size=[3,3]}");
    unary("avgpool identity (nhwc)", "qu8[1,2,5,5]{q=0.1:17}", "qu8[1,2,5,5]{q=0.1:17}", "q.adaptive_avg_pool2d(%x) {output_size=[5,5]}");
    unary("maxpool ceil_mode qu8 3x3 s2", "qu8[1,3,10,12]{q=0.1:3}", "qu8[1,3,5,6]{q=0.1:3}", "q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[0,0], ceil_mode=true}");
    unary("maxpool ceil_mode qi8 2x2 s2 p1", "qi8[2,2,7,9]{q=0.1:-5}", "qi8[2,2,4,5]{q=0.1:-5}", "q.max_pool2d(%x) {kernel_size=[2,2], stride=[2,2], padding=[1,1], ceil_mode=true}");
    unary("relu qu8 zp 255", "qu8[3,37]{q=0.05:255}", "qu8[3,37]{q=0.05:255}", "q.relu(%x)");
    unary("relu qi8 zp -3", "qi8[2,3,11]{q=0.05:-3}", "qi8[2,3,11]{q=0.05:-3}", "q.relu(%x)");
    unary("requantize qu8 halving scale (ties)", "qu8[3,41]{q=0.1:0}", "qu8[3,41]{q=0.2:1}", "q.requantize(%x) {scale=0.2, zero_point=1, dtype=qu8}");
    unary("requantize qu8 to qu8 zp 250", "qu8[3,41]{q=0.05:3}", "qu8[3,41]{q=0.07:250}", "q.requantize(%x) {scale=0.07, zero_point=250, dtype=qu8}");
    unary("requantize qi8 to qu8 saturating", "qi8[77]{q=0.02:-128}", "qu8[77]{q=0.011:0}", "q.requantize(%x) {scale=0.011, zero_point=0, dtype=qu8}");
    unary("requantize per-channel qi8 axis 1 to qu8", "qi8[2,3,5]{q(axis=1)=[0.1:0,0.02:-128,0.5:127]}", "qu8[2,3,5]{q=0.03:128}", "q.requantize(%x) {scale=0.03, zero_point=128, dtype=qu8}");
    unary("requantize per-channel qu8 axis 0 to qi8", "qu8[4,9]{q(axis=0)=[0.1:0,0.2:255,0.05:7,0.3:128]}", "qi8[4,9]{q=0.05:-3}", "q.requantize(%x) {scale=0.05, zero_point=-3, dtype=qi8}");
    unary("quantize_per_channel qi8 axis 1", "f32[3,4,5]", "qi8[3,4,5]{q(axis=1)=[0.1:0,0.02:-128,0.5:127,0.03:5]}",
        "q.quantize_per_channel(%x) {scales=[0.1,0.02,0.5,0.03], zero_points=[0,-128,127,5], axis=1, dtype=qi8}");
    unary("quantize_per_channel qu8 axis 0", "f32[6,7]", "qu8[6,7]{q(axis=0)=[0.01:0,0.02:255,0.5:128,0.03:3,0.25:100,1:0]}",
        "q.quantize_per_channel(%x) {scales=[0.01,0.02,0.5,0.03,0.25,1.0], zero_points=[0,255,128,3,100,0], axis=0, dtype=qu8}");
    binary("add qi8", "qi8[2,3,7]{q=0.05:-3}", "qi8[2,3,7]{q=0.07:100}", "qi8[2,3,7]{q=0.06:-128}", "q.add(%x, %y) {scale=0.06, zero_point=-128, dtype=qi8}");
    binary("add_relu qi8 to qu8", "qi8[33]{q=0.05:127}", "qi8[33]{q=0.1:-128}", "qu8[33]{q=0.04:9}", "q.add_relu(%x, %y) {scale=0.04, zero_point=9, dtype=qu8}");
    binary("add_relu qu8 to qi8 saturating", "qu8[40]{q=0.5:0}", "qu8[40]{q=0.3:255}", "qi8[40]{q=0.01:120}", "q.add_relu(%x, %y) {scale=0.01, zero_point=120, dtype=qi8}");
    binary("add qu8 to qi8 (float path)", "qu8[2,21]{q=0.05:255}", "qu8[2,21]{q=0.05:0}", "qi8[2,21]{q=0.1:0}", "q.add(%x, %y) {scale=0.1, zero_point=0, dtype=qi8}");
    binary("matmul batched qu8", "qu8[2,3,5]{q=0.05:3}", "qu8[2,5,4]{q=0.02:250}", "qu8[2,3,4]{q=0.1:128}", "q.matmul(%x, %y) {scale=0.1, zero_point=128, dtype=qu8}");
    binary("matmul qi8 saturating", "qi8[4,6]{q=0.5:-128}", "qi8[6,3]{q=0.5:127}", "qu8[4,3]{q=0.05:0}", "q.matmul(%x, %y) {scale=0.05, zero_point=0, dtype=qu8}");
    binary("matmul broadcast rank-2 weight", "qi8[2,2,3,7]{q=0.03:10}", "qi8[7,5]{q=0.04:-1}", "qi8[2,2,3,5]{q=0.02:3}", "q.matmul(%x, %y) {scale=0.02, zero_point=3, dtype=qi8}");
    binary("matmul broadcast rank-2 left", "qu8[5,9]{q=0.03:0}", "qu8[3,9,4]{q=0.01:255}", "qu8[3,5,4]{q=0.08:77}", "q.matmul(%x, %y) {scale=0.08, zero_point=77, dtype=qu8}");
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String target : List.of("host", "x86-64-v3"))
      for (String name : CASES.keySet()) out.add(Arguments.of(name, target));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void routinesEqualTheInterpreterBitForBit(String name, String target) {
    Int8LlvmTest.check(name, CASES.get(name), target, "node", null);
  }

  /** Every case is a valid graph (the verifier's typing rules, e.g. q.add's operands share one dtype). */
  @Test
  void casesAreValidGraphs() {
    for (var e : CASES.entrySet()) dev.kiln.ir.Verifier.verify(IrParser.parse(e.getValue(), e.getKey()));
  }

  /** Per-channel quantize on values at rounding ties, signed zeros, infinities and NaN. */
  @Test
  void perChannelQuantizeOfEdgeValues() {
    float[] v = new float[60];
    float[] scales = {0.1f, 0.02f, 0.5f, 0.03f};
    for (int i = 0; i < v.length; i++) {
      float s = scales[(i / 5) % 4];
      v[i] = switch (i % 6) {
        case 0 -> (i - 30) * s / 2; // half steps: ties
        case 1 -> i % 4 == 0 ? -0f : 0f;
        case 2 -> i % 4 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        case 3 -> Float.NaN;
        case 4 -> 1e30f * (i % 4 == 0 ? 1 : -1);
        default -> (i - 30) * 0.37f;
      };
    }
    List<List<Object>> in = List.of(List.of(Tensor.fromFloats(v, 3, 4, 5)));
    for (String target : List.of("host", "x86-64-v3"))
      Int8LlvmTest.check("quantize_per_channel qi8 axis 1", CASES.get("quantize_per_channel qi8 axis 1"), target, "node", in);
  }

  /** {@code -Dkiln.llvm.int8Ops=false} leaves these nodes on the interpreter (the older routines stay native). */
  @Test
  void theSwitchKeepsThemOnTheInterpreter() {
    String old = System.getProperty("kiln.llvm.int8Ops");
    System.setProperty("kiln.llvm.int8Ops", "false");
    try {
      for (String name : List.of("avgpool 7x7 to 1x1 (resnet head, qnnpack)", "maxpool ceil_mode qu8 3x3 s2", "add qi8", "matmul batched qu8",
          "requantize qu8 to qu8 zp 250", "quantize_per_channel qu8 axis 0")) {
        try (LlvmCompiled c = LlvmBackend.compile(IrParser.parse(CASES.get(name), name), new HashMap<>(), new LlvmOptions("host", false))) {
          assertTrue(c.nativeKinds().keySet().stream().noneMatch(k -> k.startsWith("int8 q.")), name + ": " + c.report());
          assertEquals(1, c.fallbackKinds().keySet().stream().filter(k -> k.startsWith("reference q.")).count(), name + ": " + c.report());
        }
      }
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.int8Ops");
      else System.setProperty("kiln.llvm.int8Ops", old);
    }
  }
}
