package dev.kiln.codegen.llvm.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantized linear and convolution nodes compiled by the LLVM backend run on the native int8 GEMM
 * ({@code kiln_q8_gemm}: vpdpbusd on the host, the widening fallback on {@code x86-64-v3}) and give the interpreter's
 * integers (floats for linear_dynamic) bit for bit, on 1 and 2 threads: zero points at both ends, per-channel weights
 * with nonzero zero points, saturation past int32 (cvtps gives INT32_MIN) and to qmax, fused relus, qi8 inputs and
 * outputs, strides, padding, dilation, groups, depthwise; depths that are not a multiple of 4 and channel counts that
 * are not a multiple of 16, row counts on both sides of the 4-row micro-tile.
 */
@Tag("llvm")
class Int8LlvmTest {
  static final String WPC = "qi8[6,19]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1]}";

  static final Map<String, String> CASES = new java.util.LinkedHashMap<>();

  static {
    CASES.put("linear qu8 zp 0", """
        graph @g(%x: qu8[5,19]{q=0.05:0}) -> (qu8[5,6]{q=0.2:3}) {
          %w = const {name="w"} : qi8[6,19]{q=0.01:0}
          %b = const {name="b"} : f32[6]
          %0 = q.linear(%x, %w, %b) {scale=0.2, zero_point=3, dtype=qu8} : qu8[5,6]{q=0.2:3}
          return(%0)
        }""");
    CASES.put("linear qu8 zp 255 per-channel zps", """
        graph @g(%x: qu8[9,19]{q=0.05:255}) -> (qu8[9,6]{q=0.1:128}) {
          %w = const {name="w"} : WPC
          %b = const {name="b"} : f32[6]
          %0 = q.linear(%x, %w, %b) {scale=0.1, zero_point=128, dtype=qu8} : qu8[9,6]{q=0.1:128}
          return(%0)
        }""".replace("WPC", WPC));
    CASES.put("linear_relu qi8 rank 3 no bias", """
        graph @g(%x: qi8[2,3,19]{q=0.03:-128}) -> (qi8[2,3,6]{q=0.05:-128}) {
          %w = const {name="w"} : WPC
          %0 = q.linear_relu(%x, %w) {scale=0.05, zero_point=-128, dtype=qi8} : qi8[2,3,6]{q=0.05:-128}
          return(%0)
        }""".replace("WPC", WPC));
    CASES.put("linear saturating past int32", """
        graph @g(%x: qu8[4,19]{q=0.05:7}) -> (qu8[4,6]{q=1e-30:100}) {
          %w = const {name="w"} : qi8[6,19]{q=0.01:0}
          %b = const {name="b"} : f32[6]
          %0 = q.linear(%x, %w, %b) {scale=1e-30, zero_point=100, dtype=qu8} : qu8[4,6]{q=1e-30:100}
          return(%0)
        }""");
    CASES.put("linear_relu to qmax, 70 outputs, k 130", """
        graph @g(%x: qu8[13,130]{q=0.5:0}) -> (qu8[13,70]{q=0.001:250}) {
          %w = const {name="w"} : qi8[70,130]{q=0.01:0}
          %b = const {name="b"} : f32[70]
          %0 = q.linear_relu(%x, %w, %b) {scale=0.001, zero_point=250, dtype=qu8} : qu8[13,70]{q=0.001:250}
          return(%0)
        }""");
    CASES.put("linear_dynamic per-tensor", """
        graph @g(%x: f32[7,19]) -> (f32[7,6]) {
          %w = const {name="w"} : qi8[6,19]{q=0.01:0}
          %b = const {name="b"} : f32[6]
          %0 = q.linear_dynamic(%x, %w, %b) : f32[7,6]
          return(%0)
        }""");
    CASES.put("linear_dynamic per-channel rank 3 no bias", """
        graph @g(%x: f32[2,5,19]) -> (f32[2,5,6]) {
          %w = const {name="w"} : WPC
          %0 = q.linear_dynamic(%x, %w) : f32[2,5,6]
          return(%0)
        }""".replace("WPC", WPC));
    CASES.put("linear_dynamic k 257, 100 outputs", """
        graph @g(%x: f32[9,257]) -> (f32[9,100]) {
          %w = const {name="w"} : qi8[100,257]{q=0.003:0}
          %b = const {name="b"} : f32[100]
          %0 = q.linear_dynamic(%x, %w, %b) : f32[9,100]
          return(%0)
        }""");
    CASES.put("conv2d padded per-channel", """
        graph @g(%x: qu8[2,3,7,6]{q=0.03:130}) -> (qu8[2,6,7,6]{q=0.12:128}) {
          %w = const {name="w"} : qi8[6,3,3,3]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128,0.011:127,0.02:1]}
          %b = const {name="b"} : f32[6]
          %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=1, scale=0.12, zero_point=128, dtype=qu8} : qu8[2,6,7,6]{q=0.12:128}
          return(%0)
        }""");
    CASES.put("conv2d_relu strided dilated zp 255", """
        graph @g(%x: qu8[1,4,11,9]{q=0.02:255}) -> (qu8[1,20,5,3]{q=0.05:0}) {
          %w = const {name="w"} : qi8[20,4,3,2]{q=0.01:0}
          %b = const {name="b"} : f32[20]
          %0 = q.conv2d_relu(%x, %w, %b) {stride=[2,2], padding=[1,0], dilation=[2,3], groups=1, scale=0.05, zero_point=0, dtype=qu8} : qu8[1,20,5,3]{q=0.05:0}
          return(%0)
        }""");
    CASES.put("conv2d depthwise", """
        graph @g(%x: qu8[2,4,6,6]{q=0.02:10}) -> (qu8[2,4,6,6]{q=0.03:120}) {
          %w = const {name="w"} : qi8[4,1,3,3]{q=0.02:0}
          %b = const {name="b"} : f32[4]
          %0 = q.conv2d(%x, %w, %b) {stride=[1,1], padding=[1,1], dilation=[1,1], groups=4, scale=0.03, zero_point=120, dtype=qu8} : qu8[2,4,6,6]{q=0.03:120}
          return(%0)
        }""");
    CASES.put("conv2d two groups qi8 no bias", """
        graph @g(%x: qi8[1,6,5,5]{q=0.02:-5}) -> (qi8[1,4,3,3]{q=0.04:3}) {
          %w = const {name="w"} : qi8[4,3,3,3]{q(axis=0)=[0.01:0,0.02:-3,0.005:7,0.03:-128]}
          %0 = q.conv2d(%x, %w) {stride=[1,1], padding=[0,0], dilation=[1,1], groups=2, scale=0.04, zero_point=3, dtype=qi8} : qi8[1,4,3,3]{q=0.04:3}
          return(%0)
        }""");
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String mode : List.of("node", "gemm"))
      for (String target : List.of("host", "x86-64-v3"))
        for (var e : CASES.entrySet()) out.add(Arguments.of(e.getKey(), target, mode));
    return out.stream();
  }

  /**
   * {@code mode} "node": each node whole in one native call (the default: kiln_q8_linear / kiln_q8_conv);
   * "gemm": -Dkiln.llvm.int8=gemm, only the product native (kiln_q8_gemm).
   */
  @ParameterizedTest(name = "{0} on {1}, {2}")
  @MethodSource("cases")
  void nativeInt8EqualsTheInterpreterBitForBit(String name, String target, String mode) {
    check(name, CASES.get(name), target, mode, null);
  }

  /**
   * Compiles {@code ir} (random named weights) for {@code target} and checks the native run on 1 and 2 threads
   * against the interpreter, bit for bit, on {@code inputs} (null: three random draws).
   */
  static void check(String name, String ir, String target, String mode, List<List<Object>> inputs) {
    Graph g = IrParser.parse(ir, name);
    Random r = new Random(name.hashCode());
    Map<String, Tensor> weights = new HashMap<>();
    for (Node n : g.body().nodes())
      if (n.op().name().equals("const")) weights.put(n.attrStr("name"), random(r, (TensorType) n.result(0).type()));
    String before = System.getProperty("kiln.native.minForkWork"), int8 = System.getProperty("kiln.llvm.int8");
    System.setProperty("kiln.native.minForkWork", "0");
    if (mode.equals("gemm")) System.setProperty("kiln.llvm.int8", "gemm");
    try (LlvmCompiled c = LlvmBackend.compile(IrParser.parse(ir, name), weights, new LlvmOptions(target, false))) {
      assertTrue(c.nativeKinds().keySet().stream().anyMatch(k -> k.startsWith("int8 q.")), c.report());
      assertFalse(c.fallbackKinds().keySet().stream().anyMatch(k -> k.startsWith("reference q.")), c.report());
      var one = c.instantiate(weights, 1);
      var two = c.instantiate(weights, 2);
      Interpreter interp = new Interpreter(g, weights);
      List<List<Object>> runs = inputs;
      if (runs == null) {
        runs = new ArrayList<>();
        for (int trial = 0; trial < 3; trial++) {
          List<Object> in = new ArrayList<>();
          for (Value p : g.params()) in.add(random(r, (TensorType) p.type()));
          runs.add(in);
        }
      }
      for (int trial = 0; trial < runs.size(); trial++) {
        List<Object> in = runs.get(trial);
        Tensor want = (Tensor) interp.run(in).getFirst(), got = (Tensor) one.run(in).getFirst();
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(bytes(want), bytes(got), name + " on " + target + " (" + mode + "), trial " + trial);
        assertArrayEquals(bytes(got), bytes((Tensor) two.run(in).getFirst()), name + " on " + target + " (" + mode + "): 1 and 2 threads");
      }
    } finally {
      if (before == null) System.clearProperty("kiln.native.minForkWork");
      else System.setProperty("kiln.native.minForkWork", before);
      if (int8 == null) System.clearProperty("kiln.llvm.int8");
      else System.setProperty("kiln.llvm.int8", int8);
    }
  }

  @Test
  void theHostUsesVnniAndTheV3TargetTheFallback() {
    assertFalse(Int8Library.hasVnni(TargetSpec.named("x86-64-v3")));
    assertFalse(Int8Library.hasVnni(TargetSpec.named("x86-64-v4")));
    assertTrue(Int8Library.hasVnni(TargetSpec.named("znver4")));
    assertTrue(Int8GemmIr.module(true).contains("@llvm.x86.avx512.vpdpbusd.512"));
    assertFalse(Int8GemmIr.module(false).contains("vpdpbusd"));
    assertFalse(Int8GemmIr.module(false).contains("pmaddubs"));
  }

  /** The machine code: vpdpbusd on the host (znver4 here), none on x86-64-v3; never the saturating vpmaddubsw. */
  @Test
  void theMachineCodeUsesTheRightInstructions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    for (String target : List.of("host", "x86-64-v3")) {
      TargetSpec spec = TargetSpec.parse(target);
      String asm;
      try (var m = new dev.kiln.codegen.llvm.LlvmModule("q8"); var tm = new dev.kiln.codegen.llvm.LlvmTargetMachine(spec)) {
        Int8Library lib = new Int8Library(m, spec);
        assertEquals(Int8LinearIr.SYMBOL, lib.symbolFor(CASES.get("linear qu8 zp 0")));
        assertEquals(Int8ConvChanIr.SYMBOL, lib.symbolFor(CASES.get("conv2d depthwise"))); // kiln_q8_conv with channel panels
        m.verify();
        tm.configure(m);
        tm.optimize(m, dev.kiln.codegen.llvm.LlvmTargetMachine.O3);
        java.nio.file.Path f = dir.resolve(target + ".s");
        tm.emitAssembly(m, f);
        asm = java.nio.file.Files.readString(f);
      }
      assertFalse(asm.contains("vpmaddubsw"), target);
      assertEquals(Int8Library.hasVnni(spec), asm.contains("vpdpbusd"), target);
      if (target.equals("host") && Int8Library.hasVnni(spec)) assertTrue(asm.contains("zmm"), "512-bit vectors on the host");
    }
  }

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
    for (int i = 0; i < n; i++) v[i] = i % 17 == 0 ? (i % 2 == 0 ? lo : hi) : lo + r.nextInt((int) (hi - lo + 1));
    return Tensor.ofLongs(t.dtype(), v, shape);
  }

  static byte[] bytes(Tensor t) { return t.contiguous().segment().toArray(ValueLayout.JAVA_BYTE); }
}
