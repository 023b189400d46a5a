package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code nn.attention} on the LLVM backend's explicit-vector form (codegen-llvm backend/AttentionEmitter: scores,
 * softmax with the vector exp and P V per batch element, no GEMM call) against the interpreter: the transformer's
 * heads (10 x 10 x 32), odd sizes whose keys and value dims are not multiples of the vector width (masked tails),
 * one query or key, batch and heads > 1, 1 and 2 threads (bit-identical to each other), a float mask and causal
 * attention (which keep the GEMM path), and the old emission under {@code -Dkiln.llvm.fastAttention=false}.
 */
@Tag("llvm")
class AttentionLlvmTest {
  static final double RTOL = 1e-5;

  @ParameterizedTest
  @CsvSource({
      // b, h, l, s, e, ev, mask (none | float | causal)
      "2, 4, 10, 10, 32, 32, none",
      "2, 3, 7, 19, 40, 24, none",
      "1, 1, 1, 1, 3, 5, none",
      "3, 2, 5, 33, 8, 17, none",
      "1, 2, 9, 6, 16, 16, float",
      "2, 2, 6, 6, 12, 12, causal",
  })
  void matchesTheInterpreter(int b, int h, int l, int s, int e, int ev, String mask) {
    FastOpsCase cs = attention(b, h, l, s, e, ev, mask, 11 + b * h + l);
    FastOpsCase.Run one = cs.run("fastAttention", "true", 1), two = cs.run("fastAttention", "true", 2);
    cs.assertClose(one.out(), RTOL, "1 thread");
    assertArrayEquals(one.out().floatData(), two.out().floatData(), "1 and 2 threads give the same bits");
    cs.assertClose(cs.run("fastAttention", "false", 1).out(), RTOL, "old emission");
    String kernel = attentionKernel(one.ir());
    boolean vector = mask.equals("none");
    assertTrue(kernel.contains("@llvm.vector.reduce.fmaximum.v") == vector, "vector softmax iff unmasked");
    assertTrue(!gemmCall(kernel) == vector, "no GEMM call iff unmasked");
  }

  @Test
  void transformerHeadsAreVectorCodeWithoutGemm() {
    FastOpsCase cs = attention(8, 4, 10, 10, 32, 32, "none", 3);
    String fast = attentionKernel(cs.run("fastAttention", "true", 1).ir());
    assertFalse(gemmCall(fast), "no GEMM call");
    assertTrue(Pattern.compile("call <\\d+ x float> @llvm\\.fma\\.v\\d+f32").matcher(fast).results().count() >= 8,
        "vector FMAs for the scores, the exp polynomial and P V");
    assertTrue(fast.contains("@llvm.vector.reduce.fadd.v"), "vector sum of the exponentials");
    assertTrue(gemmCall(attentionKernel(cs.run("fastOps", "false", 1).ir())), "the switch restores the GEMM path");
  }

  /** The portable target (AVX2, 8 lanes): other chunk counts, row blocks and masked tails. */
  @ParameterizedTest
  @CsvSource({"2, 4, 10, 10, 32, 32", "2, 3, 7, 19, 40, 24"})
  void portableTargetMatchesTheInterpreter(int b, int h, int l, int s, int e, int ev) {
    FastOpsCase cs = attention(b, h, l, s, e, ev, "none", 5);
    FastOpsCase.Run run = cs.run("fastAttention", "true", 2, "x86-64-v3");
    cs.assertClose(run.out(), RTOL, "x86-64-v3");
    assertFalse(gemmCall(attentionKernel(run.ir())), "no GEMM call");
  }

  static FastOpsCase attention(int b, int h, int l, int s, int e, int ev, String mask, long seed) {
    Random r = new Random(seed);
    String q = "[" + b + "," + h + "," + l + "," + e + "]", k = "[" + b + "," + h + "," + s + "," + e + "]";
    String v = "[" + b + "," + h + "," + s + "," + ev + "]", o = "[" + b + "," + h + "," + l + "," + ev + "]";
    String m = "[" + b + "," + h + "," + l + "," + s + "]";
    boolean fm = mask.equals("float");
    String text = "graph @g(%q: f32" + q + ", %k: f32" + k + ", %v: f32" + v + (fm ? ", %m: f32" + m : "") + ") -> (f32" + o + ") {\n"
        + "  %0 = nn.attention(%q, %k, %v" + (fm ? ", %m" : "") + ") {causal=" + mask.equals("causal") + "} : f32" + o + "\n"
        + "  return(%0)\n}";
    List<Object> in = new ArrayList<>(List.of(FastOpsCase.gauss(r, 1, b, h, l, e), FastOpsCase.gauss(r, 1, b, h, s, e),
        FastOpsCase.gauss(r, 1, b, h, s, ev)));
    if (fm) in.add(FastOpsCase.gauss(r, 2, b, h, l, s));
    return FastOpsCase.of("attention " + b + "x" + h + " " + l + "x" + s + "x" + e + "->" + ev + " " + mask, text, Map.of(), in, "");
  }

  static String attentionKernel(String ir) {
    int at = ir.indexOf("attention(");
    assertTrue(at >= 0, "an attention kernel");
    int start = ir.lastIndexOf("define ", at);
    return ir.substring(start, ir.indexOf("\n}\n", start));
  }

  static boolean gemmCall(String function) { return Pattern.compile("call void @kiln_gemm_\\w+\\(").matcher(function).find(); }
}
