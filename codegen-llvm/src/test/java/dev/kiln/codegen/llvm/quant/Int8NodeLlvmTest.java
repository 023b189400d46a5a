package dev.kiln.codegen.llvm.quant;

import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole-node int8 routines (kiln_q8_linear, kiln_q8_conv, kiln_q8_add, kiln_q8_maxpool, kiln_q8_quantize,
 * kiln_q8_dequantize) against the interpreter, bit for bit, on the host (vpdpbusd) and x86-64-v3, 1 and 2 threads
 * ({@link Int8LlvmTest#check}): convolution shapes that exercise each path of the transposed kernel (stride 1 and 2
 * loads, stride 3 lane by lane, short rows on flat panels, 7x7 with padding 3, 1x1 strided, rows longer than 16 and not a multiple of it, channel
 * counts not a multiple of 4, several images, depthwise, deep k), the element-wise ops at the edges of their ranges,
 * and q.linear_dynamic on inputs that take each branch of the zero-point / scale choice (all zero, one sign only, a
 * range below the smallest scale, huge values, infinities).
 */
@Tag("llvm")
class Int8NodeLlvmTest {
  static final Map<String, String> CASES = new LinkedHashMap<>();

  static {
    CASES.put("conv 7x7 s2 p3, 19 wide, 9 channels, 2 images", """
        graph @g(%x: qu8[2,3,37,38]{q=0.02:3}) -> (qu8[2,9,19,19]{q=0.07:120}) {
          %w = const {name="w"} : qi8[9,3,7,7]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1,0.01:0,0.01:0,0.02:5]}
          %b = const {name="b"} : f32[9]
          %0 = q.conv2d(%x, %w, %b) {stride=[2,2], padding=[3,3], dilation=[1,1], groups=1, scale=0.07, zero_point=120, dtype=qu8} : qu8[2,9,19,19]{q=0.07:120}
          return(%0)
        }""");
    CASES.put("conv 1x1 s2 qi8", """
        graph @g(%x: qi8[1,20,9,11]{q=0.05:-7}) -> (qi8[1,33,5,6]{q=0.1:5}) {
          %w = const {name="w"} : qi8[33,20,1,1]{q=0.01:0}
          %b = const {name="b"} : f32[33]
          %0 = q.conv2d(%x, %w, %b) {stride=[2,2], padding=[0,0], dilation=[1,1], groups=1, scale=0.1, zero_point=5, dtype=qi8} : qi8[1,33,5,6]{q=0.1:5}
          return(%0)
        }""");
    CASES.put("conv_relu 3x3 s3 p1 lane by lane", """
        graph @g(%x: qu8[1,5,20,35]{q=0.01:200}) -> (qu8[1,6,7,12]{q=0.04:10}) {
          %w = const {name="w"} : qi8[6,5,3,3]{q=0.02:0}
          %b = const {name="b"} : f32[6]
          %0 = q.conv2d_relu(%x, %w, %b) {stride=[3,3], padding=[1,1], dilation=[1,1], groups=1, scale=0.04, zero_point=10, dtype=qu8} : qu8[1,6,7,12]{q=0.04:10}
          return(%0)
        }""");
    CASES.put("conv 3x3 p1 k 576, 40 wide, 70 channels", """
        graph @g(%x: qu8[1,64,6,40]{q=0.02:128}) -> (qu8[1,70,6,40]{q=0.3:100}) {
          %w = const {name="w"} : qi8[70,64,3,3]{q=0.004:0}
          %b = const {name="b"} : f32[70]
          %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=0.3, zero_point=100, dtype=qu8} : qu8[1,70,6,40]{q=0.3:100}
          return(%0)
        }""");
    CASES.put("conv 3x3 s2 p1 to 7x7 (flat panels), 40 channels", """
        graph @g(%x: qu8[2,32,13,13]{q=0.02:77}) -> (qu8[2,40,7,7]{q=0.2:130}) {
          %w = const {name="w"} : qi8[40,32,3,3]{q=0.004:0}
          %b = const {name="b"} : f32[40]
          %0 = q.conv2d(%x, %w, %b) {stride=[2,2], padding=[1,1], dilation=[1,1], groups=1, scale=0.2, zero_point=130, dtype=qu8} : qu8[2,40,7,7]{q=0.2:130}
          return(%0)
        }""");
    CASES.put("conv depthwise 21 wide", """
        graph @g(%x: qu8[1,8,5,21]{q=0.02:1}) -> (qu8[1,8,5,21]{q=0.03:0}) {
          %w = const {name="w"} : qi8[8,1,3,3]{q=0.02:-2}
          %b = const {name="b"} : f32[8]
          %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=8, scale=0.03, zero_point=0, dtype=qu8} : qu8[1,8,5,21]{q=0.03:0}
          return(%0)
        }""");
    CASES.put("conv saturating past int32", """
        graph @g(%x: qu8[1,3,6,18]{q=0.5:0}) -> (qi8[1,5,4,16]{q=1e-30:-3}) {
          %w = const {name="w"} : qi8[5,3,3,3]{q=0.5:0}
          %0 = q.conv2d(%x, %w) {stride=[1,1], padding=[0,0], dilation=[1,1], groups=1, scale=1e-30, zero_point=-3, dtype=qi8} : qi8[1,5,4,16]{q=1e-30:-3}
          return(%0)
        }""");
    CASES.put("conv 3x3 p1 7x7, 64 channels, k 576 (channel panels)", """
        graph @g(%x: qu8[1,64,7,7]{q=0.02:9}) -> (qu8[1,64,7,7]{q=0.2:120}) {
          %w = const {name="w"} : qi8[64,64,3,3]{q=0.004:0}
          %b = const {name="b"} : f32[64]
          %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=0.2, zero_point=120, dtype=qu8} : qu8[1,64,7,7]{q=0.2:120}
          return(%0)
        }""");
    CASES.put("conv_relu 1x1 s2 to 7x7 qi8, 2 images, 80 channels (channel panels)", """
        graph @g(%x: qi8[2,24,13,14]{q=0.05:-7}) -> (qi8[2,80,7,7]{q=0.1:5}) {
          %w = const {name="w"} : qi8[80,24,1,1]{q(axis=0)=[PC80]}
          %b = const {name="b"} : f32[80]
          %0 = q.conv2d_relu(%x, %w, %b) {stride=[2,2], padding=[0,0], dilation=[1,1], groups=1, scale=0.1, zero_point=5, dtype=qi8} : qi8[2,80,7,7]{q=0.1:5}
          return(%0)
        }""".replace("PC80", perChannel(80)));
    CASES.put("conv 3x3 s2 p1 to 5x6, 19 channels, k 45", """
        graph @g(%x: qu8[1,5,10,11]{q=0.03:200}) -> (qu8[1,19,5,6]{q=0.3:50}) {
          %w = const {name="w"} : qi8[19,5,3,3]{q=0.004:0}
          %b = const {name="b"} : f32[19]
          %0 = q.conv2d(%x, %w, %b) {stride=[2,2], padding=[1,1], dilation=[1,1], groups=1, scale=0.3, zero_point=50, dtype=qu8} : qu8[1,19,5,6]{q=0.3:50}
          return(%0)
        }""");
    CASES.put("add", """
        graph @g(%x: qu8[1,4,5,7]{q=0.05:3}, %y: qu8[1,4,5,7]{q=0.07:250}) -> (qu8[1,4,5,7]{q=0.06:128}) {
          %0 = q.add(%x, %y) {scale=0.06, zero_point=128, dtype=qu8} : qu8[1,4,5,7]{q=0.06:128}
          return(%0)
        }""");
    CASES.put("add_relu saturating", """
        graph @g(%x: qu8[3,33]{q=0.5:0}, %y: qu8[3,33]{q=0.3:255}) -> (qu8[3,33]{q=0.01:7}) {
          %0 = q.add_relu(%x, %y) {scale=0.01, zero_point=7, dtype=qu8} : qu8[3,33]{q=0.01:7}
          return(%0)
        }""");
    CASES.put("add small ratio", """
        graph @g(%x: qu8[50]{q=0.0001:17}, %y: qu8[50]{q=0.5:40}) -> (qu8[50]{q=1.5:9}) {
          %0 = q.add(%x, %y) {scale=1.5, zero_point=9, dtype=qu8} : qu8[50]{q=1.5:9}
          return(%0)
        }""");
    CASES.put("max_pool 3x3 s2 p1 qu8", """
        graph @g(%x: qu8[1,3,11,12]{q=0.1:3}) -> (qu8[1,3,6,6]{q=0.1:3}) {
          %0 = q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[1,1]} : qu8[1,3,6,6]{q=0.1:3}
          return(%0)
        }""");
    CASES.put("max_pool 3x3 s2 qi8, one column", """
        graph @g(%x: qi8[1,2,9,3]{q=0.1:-5}) -> (qi8[1,2,4,1]{q=0.1:-5}) {
          %0 = q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[0,0]} : qi8[1,2,4,1]{q=0.1:-5}
          return(%0)
        }""");
    CASES.put("max_pool 3x3 s2 p1 qi8, 40 wide", """
        graph @g(%x: qi8[1,3,9,80]{q=0.1:-5}) -> (qi8[1,3,5,40]{q=0.1:-5}) {
          %0 = q.max_pool2d(%x) {kernel_size=[3,3], stride=[2,2], padding=[1,1]} : qi8[1,3,5,40]{q=0.1:-5}
          return(%0)
        }""");
    CASES.put("max_pool 2x2 dilated qi8", """
        graph @g(%x: qi8[2,2,7,9]{q=0.1:-5}) -> (qi8[2,2,5,7]{q=0.1:-5}) {
          %0 = q.max_pool2d(%x) {kernel_size=[2,2], stride=[1,1], padding=[0,0], dilation=[2,2]} : qi8[2,2,5,7]{q=0.1:-5}
          return(%0)
        }""");
    CASES.put("quantize_per_tensor qu8", """
        graph @g(%x: f32[3,50]) -> (qu8[3,50]{q=0.02:128}) {
          %0 = q.quantize_per_tensor(%x) {scale=0.02, zero_point=128, dtype=qu8} : qu8[3,50]{q=0.02:128}
          return(%0)
        }""");
    CASES.put("quantize_per_tensor qi8", """
        graph @g(%x: f32[77]) -> (qi8[77]{q=0.03:-3}) {
          %0 = q.quantize_per_tensor(%x) {scale=0.03, zero_point=-3, dtype=qi8} : qi8[77]{q=0.03:-3}
          return(%0)
        }""");
    CASES.put("dequantize qu8", """
        graph @g(%x: qu8[2,3,9]{q=0.013:200}) -> (f32[2,3,9]) {
          %0 = q.dequantize(%x) : f32[2,3,9]
          return(%0)
        }""");
    CASES.put("dequantize qi8", """
        graph @g(%x: qi8[40]{q=0.7:-128}) -> (f32[40]) {
          %0 = q.dequantize(%x) : f32[40]
          return(%0)
        }""");
  }

  /** Per-channel parameters {@code scale:zp} for n channels, zero points across the qi8 range. */
  static String perChannel(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append(0.002 + 0.0005 * (i % 7)).append(':').append((i * 37) % 256 - 128);
    return b.toString();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String target : List.of("host", "x86-64-v3"))
      for (String name : CASES.keySet()) out.add(Arguments.of(name, target));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void wholeNodesEqualTheInterpreterBitForBit(String name, String target) {
    Int8LlvmTest.check(name, CASES.get(name), target, "node", null);
  }

  /** The same convolutions with panels per output row (-Dkiln.llvm.int8.split=false): partial panels at row ends. */
  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("cases")
  void rowPanelsEqualTheInterpreterToo(String name, String target) {
    if (!name.startsWith("conv")) return;
    String old = System.getProperty("kiln.llvm.int8.split");
    System.setProperty("kiln.llvm.int8.split", "false");
    try {
      Int8LlvmTest.check(name, CASES.get(name), target, "node", null);
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.int8.split");
      else System.setProperty("kiln.llvm.int8.split", old);
    }
  }

  static Stream<Arguments> convForms() {
    List<Arguments> out = new ArrayList<>();
    for (String target : List.of("host", "x86-64-v3"))
      for (String name : CASES.keySet())
        if (name.startsWith("conv"))
          for (String form : List.of("channel panels always", "4x4 tile, no channel panels"))
            if (target.equals("host") || form.startsWith("channel")) out.add(Arguments.of(name, target, form));
    return out.stream();
  }

  /**
   * The convolutions in the forms the switches choose: the channel-panel product on every one-group convolution
   * (-Dkiln.llvm.int8.chanPanels=always: full and partial channel panels, single-row tiles, 1 x 1 and strided), and
   * the form before it (-Dkiln.llvm.int8.chanPanels=false: the 4 x 4 transposed tile only; on the host alone, since
   * the other tests already run that form on both targets for every case the heuristic leaves to it).
   */
  @ParameterizedTest(name = "{0} on {1}, {2}")
  @MethodSource("convForms")
  void everyConvolutionFormEqualsTheInterpreter(String name, String target, String form) {
    Map<String, String> props = form.startsWith("channel") ? Map.of("kiln.llvm.int8.chanPanels", "always")
        : Map.of("kiln.llvm.int8.chanPanels", "false");
    Map<String, String> old = new LinkedHashMap<>();
    props.forEach((k, v) -> {
      old.put(k, System.getProperty(k));
      System.setProperty(k, v);
    });
    try {
      Int8LlvmTest.check(name, CASES.get(name), target, "node", null);
    } finally {
      old.forEach((k, v) -> {
        if (v == null) System.clearProperty(k);
        else System.setProperty(k, v);
      });
    }
  }

  static final String DYNAMIC = """
      graph @g(%x: f32[3,21]) -> (f32[3,10]) {
        %w = const {name="w"} : qi8[10,21]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1,0.01:0,0.01:0,0.02:5,0.04:0]}
        %b = const {name="b"} : f32[10]
        %0 = q.linear_dynamic(%x, %w, %b) : f32[3,10]
        return(%0)
      }""";

  static Stream<Arguments> dynamicInputs() {
    List<Arguments> out = new ArrayList<>();
    for (String target : List.of("host", "x86-64-v3"))
      for (String kind : List.of("zeros", "positive", "negative", "tiny both signs", "tiny positive", "tiny negative", "huge",
          "signed zeros", "infinity", "one value"))
        out.add(Arguments.of(kind, target));
    return out.stream();
  }

  /** linear_dynamic on inputs that reach each branch of chooseParams. */
  @ParameterizedTest(name = "{0} on {1}")
  @MethodSource("dynamicInputs")
  void linearDynamicQuantizesEdgeInputsAsTheInterpreter(String kind, String target) {
    float[] v = new float[63];
    java.util.Random r = new java.util.Random(kind.hashCode());
    for (int i = 0; i < v.length; i++) {
      double g = r.nextGaussian();
      v[i] = switch (kind) {
        case "zeros" -> 0f;
        case "positive" -> (float) Math.abs(g) + 0.5f;
        case "negative" -> (float) -Math.abs(g) - 0.5f;
        case "tiny both signs" -> (float) (g * 1e-6);
        case "tiny positive" -> (float) Math.abs(g * 1e-7);
        case "tiny negative" -> (float) -Math.abs(g * 1e-7);
        case "huge" -> (float) (g * 1e30);
        case "signed zeros" -> i % 2 == 0 ? -0f : 0f;
        case "infinity" -> i == 5 ? Float.POSITIVE_INFINITY : (float) g;
        default -> 3.25f;
      };
    }
    List<List<Object>> in = List.of(List.of(Tensor.fromFloats(v, 3, 21)));
    Int8LlvmTest.check("linear_dynamic " + kind, DYNAMIC, target, "node", in);
  }
}
