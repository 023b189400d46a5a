package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * layer_norm, attention, lstm, chunk/split and strided reshapes lowered to loops and GEMM calls (never a reference
 * call), compiled (CheckClassAdapter-verified) and run against the reference interpreter on random inputs.
 */
class SequenceLoweringTest {
  record Case(String name, String ir) {
    @Override public String toString() { return name; }
  }

  static List<Case> cases() {
    return List.of(
        new Case("layer_norm", """
            graph @g(%x: f32[3,4,6], %w: f32[6], %b: f32[6], %w2: f32[4,6]) -> (f32[3,4,6], f32[3,4,6], f32[3,4,6]) {
              %0 = nn.layer_norm(%x, %w, %b) {normalized_shape=[6], eps=1.0E-5} : f32[3,4,6]
              %1 = nn.layer_norm(%x) {normalized_shape=[6], eps=0.1} : f32[3,4,6]
              %2 = nn.layer_norm(%x, %w2) {normalized_shape=[4,6], eps=1.0E-5} : f32[3,4,6]
              return(%0, %1, %2)
            }"""),
        new Case("attention", """
            graph @g(%q: f32[2,3,5,8], %k: f32[2,3,7,8], %v: f32[2,3,7,4]) -> (f32[2,3,5,4], f32[2,3,5,4]) {
              %0 = nn.attention(%q, %k, %v) : f32[2,3,5,4]
              %1 = nn.attention(%q, %k, %v) {scale=0.5} : f32[2,3,5,4]
              return(%0, %1)
            }"""),
        new Case("attention-masks", """
            graph @g(%q: f32[2,6,8], %k: f32[2,6,8], %v: f32[1,6,3], %m: f32[6,6], %p: f32[2,6,6]) -> (f32[2,6,3], f32[2,6,3], f32[2,6,3]) {
              %0 = nn.attention(%q, %k, %v) {causal=true} : f32[2,6,3]
              %1 = nn.attention(%q, %k, %v, %m) : f32[2,6,3]
              %z = const {value=-0.5} : float
              %b = nn.gt(%p, %z) : bool[2,6,6]
              %2 = nn.attention(%q, %k, %v, %b) : f32[2,6,3]
              return(%0, %1, %2)
            }"""),
        // The transformer's pattern: an in-projection chunked into q, k, v, heads split by a strided reshape.
        new Case("chunk-heads-attention", """
            graph @g(%x: f32[1,5,24], %s: f32[2,7]) -> (f32[1,5,8], f32[2,3], f32[2,4]) {
              %q, %k, %v = nn.chunk(%x) {chunks=3, dim=-1} : (f32[1,5,8], f32[1,5,8], f32[1,5,8])
              %0 = nn.reshape(%q) {shape=[1,5,2,4]} : f32[1,5,2,4]
              %1 = nn.transpose(%0) {dim0=1, dim1=2} : f32[1,2,5,4]
              %2 = nn.reshape(%k) {shape=[1,5,2,4]} : f32[1,5,2,4]
              %3 = nn.transpose(%2) {dim0=1, dim1=2} : f32[1,2,5,4]
              %4 = nn.reshape(%v) {shape=[1,5,2,4]} : f32[1,5,2,4]
              %5 = nn.transpose(%4) {dim0=1, dim1=2} : f32[1,2,5,4]
              %6 = nn.attention(%1, %3, %5) : f32[1,2,5,4]
              %7 = nn.transpose(%6) {dim0=1, dim1=2} : f32[1,5,2,4]
              %8 = nn.reshape(%7) {shape=[1,5,8]} : f32[1,5,8]
              %a, %b = nn.split(%s) {sizes=[3,4], dim=1} : (f32[2,3], f32[2,4])
              %c = nn.relu(%b) : f32[2,4]
              return(%8, %a, %c)
            }"""),
        new Case("lstm-batch-first-2-layers", """
            graph @g(%x: f32[2,5,6], %h0: f32[2,2,4], %c0: f32[2,2,4], %wi0: f32[16,6], %wh0: f32[16,4], %bi0: f32[16], %bh0: f32[16],
                     %wi1: f32[16,4], %wh1: f32[16,4], %bi1: f32[16], %bh1: f32[16]) -> (f32[2,5,4], f32[2,2,4], f32[2,2,4]) {
              %o, %h, %c = nn.lstm(%x, %h0, %c0, %wi0, %wh0, %bi0, %bh0, %wi1, %wh1, %bi1, %bh1) {num_layers=2, batch_first=true} : (f32[2,5,4], f32[2,2,4], f32[2,2,4])
              return(%o, %h, %c)
            }"""),
        new Case("lstm-bidirectional-no-bias", """
            graph @g(%x: f32[4,3,5], %h0: f32[2,3,6], %c0: f32[2,3,6], %wf: f32[24,5], %whf: f32[24,6], %wb: f32[24,5], %whb: f32[24,6])
                -> (f32[4,3,12], f32[2,3,6], f32[2,3,6]) {
              %o, %h, %c = nn.lstm(%x, %h0, %c0, %wf, %whf, %wb, %whb) {num_layers=1, has_biases=false, bidirectional=true} : (f32[4,3,12], f32[2,3,6], f32[2,3,6])
              return(%o, %h, %c)
            }"""));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesTheInterpreterWithoutReferenceCalls(Case c) {
    Graph g = IrParser.parse(c.ir(), c.name());
    Random rnd = new Random(c.name().hashCode());
    List<Object> inputs = new ArrayList<>();
    for (Value p : g.params()) inputs.add(random(p, rnd));
    List<Object> want = new Interpreter(IrParser.parse(c.ir(), c.name()), Map.of()).run(inputs);
    KernelLowering.Result lowered = KernelLowering.lowerWithReport(g);
    String kir = KernelPrinter.print(lowered.program());
    assertTrue(lowered.report().references().isEmpty(), c.name() + " fell back to the interpreter: " + lowered.report().summary());
    JvmCompiled compiled = JvmBackend.compile(lowered.program(), Map.of(), new JvmOptions("dev.kiln.gen.S_" + c.name().replace('-', '_'), true));
    List<Object> got = compiled.instantiate(new HashMap<>()).run(inputs);
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      Tensor w = (Tensor) want.get(i), h = (Tensor) got.get(i);
      assertEquals(Arrays.toString(w.shape()), Arrays.toString(h.shape()), c.name() + " output " + i);
      assertTrue(h.allClose(w, 1e-4, 1e-4), c.name() + " output " + i + ": max |diff| " + h.maxAbsDiff(w) + "\n" + kir);
    }
  }

  /** The heads of a chunked projection are read in place and the result written transposed: no copy kernels. */
  @org.junit.jupiter.api.Test
  void headsAreViewsNotCopies() {
    Case heads = cases().stream().filter(c -> c.name().equals("chunk-heads-attention")).findFirst().orElseThrow();
    KernelLowering.Report rep = KernelLowering.lowerWithReport(IrParser.parse(heads.ir(), heads.name())).report();
    assertEquals(Map.of("nn.chunk", 1, "nn.reshape", 4, "nn.transpose", 4, "nn.split", 1), rep.aliases(), rep.summary());
    assertEquals(Map.of("nn.attention", 1), rep.primitives(), rep.summary());
  }

  static Object random(Value p, Random rnd) {
    TensorType t = p.tensorType();
    float[] d = new float[(int) t.shape().numel()];
    for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian();
    return Tensor.fromFloats(d, t.shape().sizes());
  }
}
