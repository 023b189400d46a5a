package dev.kiln.codegen.llvm.quant;

import java.util.ArrayList;
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
 * {@code kiln_q8_maxpool} against the interpreter, bit for bit, on the host and x86-64-v3, 1 and 2 threads
 * ({@link Int8LlvmTest#check}), qu8 and qi8: the byte-vector form ({@link Int8MaxPoolFastIr}: stride 1 and 2, the
 * resnet stem's 3x3/s2/p1 on 112 x 112, odd sizes, no padding, ceil_mode, vertical dilation, rows too short for a
 * vector block, a kernel wider than the input) and the loops it leaves to (horizontal dilation, stride 3), and four
 * cases with {@code -Dkiln.llvm.int8.fastMaxPool=false} too (host only).
 */
@Tag("llvm")
class Int8MaxPoolLlvmTest {
  static final Map<String, String> CASES = new LinkedHashMap<>();

  /** A q.max_pool2d graph on {@code in} = [n, c, h, w]; the output size as PyTorch's (ceil_mode included). */
  private static void pool(String name, long[] in, int k, int s, int p, int[] d, boolean ceil) {
    for (String dt : List.of("qu8", "qi8")) {
      String q = dt.equals("qu8") ? "{q=0.1:3}" : "{q=0.1:-5}";
      long oh = out(in[2], k, s, p, d[0], ceil), ow = out(in[3], k, s, p, d[1], ceil);
      String x = dt + "[" + in[0] + "," + in[1] + "," + in[2] + "," + in[3] + "]" + q;
      String y = dt + "[" + in[0] + "," + in[1] + "," + oh + "," + ow + "]" + q;
      CASES.put(name + " " + dt, "graph @g(%x: " + x + ") -> (" + y + ") {\n  %0 = q.max_pool2d(%x) {kernel_size=[" + k + "," + k
          + "], stride=[" + s + "," + s + "], padding=[" + p + "," + p + "], dilation=[" + d[0] + "," + d[1] + "], ceil_mode="
          + ceil + "} : " + y + "\n  return(%0)\n}");
    }
  }

  private static long out(long n, int k, int s, int p, int d, boolean ceil) {
    long span = n + 2L * p - (long) d * (k - 1) - 1;
    long o = (ceil ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
    if (ceil && (o - 1) * s >= n + p) o--;
    return o;
  }

  static {
    int[] one = {1, 1};
    pool("3x3 s2 p1 on 112x112 (resnet stem)", new long[] {1, 6, 112, 112}, 3, 2, 1, one, false);
    pool("3x3 s2 p1 on 33x47", new long[] {1, 3, 33, 47}, 3, 2, 1, one, false);
    pool("3x3 s2 p0 on 35x70, 2 images", new long[] {2, 2, 35, 70}, 3, 2, 0, one, false);
    pool("2x2 s2 on 20x40", new long[] {2, 3, 20, 40}, 2, 2, 0, one, false);
    pool("3x3 s1 p1 on 9x37", new long[] {1, 2, 9, 37}, 3, 1, 1, one, false);
    pool("5x5 s1 p2 on 7x50", new long[] {1, 2, 7, 50}, 5, 1, 2, one, false);
    pool("1x1 s2 on 8x40", new long[] {1, 2, 8, 40}, 1, 2, 0, one, false);
    pool("3x3 s2 ceil_mode on 36x36", new long[] {1, 2, 36, 36}, 3, 2, 0, one, true);
    pool("2x2 s2 p1 ceil_mode on 9x41", new long[] {1, 2, 9, 41}, 2, 2, 1, one, true);
    pool("3x3 s2 p1 on 6x6 (no vector block)", new long[] {1, 3, 6, 6}, 3, 2, 1, one, false);
    pool("5x5 s1 p2 on 3x3 (kernel wider than the input)", new long[] {1, 2, 3, 3}, 5, 1, 2, one, false);
    pool("3x3 s2 p1 dilation 2x1 on 15x40", new long[] {1, 2, 15, 40}, 3, 2, 1, new int[] {2, 1}, false);
    pool("3x3 s1 dilation 2 on 11x30 (loops)", new long[] {1, 2, 11, 30}, 3, 1, 0, new int[] {2, 2}, false);
    pool("3x3 s3 p1 on 10x50 (loops)", new long[] {1, 2, 10, 50}, 3, 3, 1, one, false);
  }

  /** The cases also run with {@code -Dkiln.llvm.int8.fastMaxPool=false}. */
  static final List<String> LOOPS = List.of("3x3 s2 p1 on 112x112", "3x3 s2 p0 on 35x70", "2x2 s2 p1 ceil_mode", "3x3 s1 dilation 2");

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    // The fast form on both targets; the loops (unchanged code, also covered by Int8OpsLlvmTest) on the host only,
    // for the shapes that exercise their padding, ceil_mode and dilation (each case compiles a module: CI time).
    for (String target : List.of("host", "x86-64-v3"))
      for (String name : CASES.keySet()) out.add(Arguments.of(name, target, "fast"));
    for (String name : CASES.keySet())
      if (LOOPS.stream().anyMatch(name::startsWith)) out.add(Arguments.of(name, "host", "loops"));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} on {1}, {2}")
  @MethodSource("cases")
  void maxPoolEqualsTheInterpreterBitForBit(String name, String target, String form) {
    String old = System.getProperty("kiln.llvm.int8.fastMaxPool");
    if (form.equals("loops")) System.setProperty("kiln.llvm.int8.fastMaxPool", "false");
    else System.clearProperty("kiln.llvm.int8.fastMaxPool");
    try {
      Int8LlvmTest.check(name, CASES.get(name), target, "node", null);
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.int8.fastMaxPool");
      else System.setProperty("kiln.llvm.int8.fastMaxPool", old);
    }
  }

  /** Every case is a valid graph (its output size is the one the verifier infers). */
  @Test
  void casesAreValidGraphs() {
    for (var e : CASES.entrySet()) dev.kiln.ir.Verifier.verify(dev.kiln.ir.text.IrParser.parse(e.getValue(), e.getKey()));
  }

  /** The switch chooses the emitted form: the fast functions are in the routine's text only when it is on. */
  @Test
  void theSwitchChoosesTheForm() {
    String old = System.getProperty("kiln.llvm.int8.fastMaxPool");
    try {
      System.clearProperty("kiln.llvm.int8.fastMaxPool");
      org.junit.jupiter.api.Assertions.assertTrue(Int8PoolIr.maxPool().contains(Int8MaxPoolFastIr.name(true, 2) + "("));
      System.setProperty("kiln.llvm.int8.fastMaxPool", "false");
      org.junit.jupiter.api.Assertions.assertFalse(Int8PoolIr.maxPool().contains("kiln_q8_maxpool_f"));
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.int8.fastMaxPool");
      else System.setProperty("kiln.llvm.int8.fastMaxPool", old);
    }
  }
}
