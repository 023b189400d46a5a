package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
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
import org.junit.jupiter.api.Test;

/**
 * Channels-last conv epilogues that the conv primitive applies itself ({@link ConvEpilogue}): which loops are
 * recognized (ReLU, ReLU6, residual add with and without ReLU) and which are not (a sigmoid), and the compiled model
 * still equals the interpreter with them fused.
 */
class ConvEpilogueTest {
  static final String HEAD = """
      graph @g(%x: f32[1,16,10,10], %r: f32[1,24,10,10]) -> (f32[1,24,10,10]) {
        %w = const {name="w"} : f32[24,16,3,3]
        %b = const {name="b"} : f32[24]
        %0 = nn.conv2d(%x, %w, %b) {padding=[1,1]} : f32[1,24,10,10]
      """;

  /** Epilogue body (after %0), expected residual operand name prefix or null, lo, hi; null lo = not fused. */
  record Case(String body, boolean residual, Float lo, Float hi) {}

  static final List<Case> CASES = List.of(
      new Case("%1 = nn.relu(%0) : f32[1,24,10,10]\n return(%1)", false, 0f, Float.POSITIVE_INFINITY),
      new Case("%1 = nn.hardtanh(%0) {min_val=0.0, max_val=6.0} : f32[1,24,10,10]\n return(%1)", false, 0f, 6f),
      new Case("%1 = nn.add(%0, %r) : f32[1,24,10,10]\n %2 = nn.relu(%1) : f32[1,24,10,10]\n return(%2)", true, 0f, Float.POSITIVE_INFINITY),
      new Case("%1 = nn.add(%0, %r) : f32[1,24,10,10]\n return(%1)", true, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY),
      new Case("%1 = nn.sigmoid(%0) : f32[1,24,10,10]\n return(%1)", false, null, null));

  static Tensor random(Random r, long... shape) {
    long n = 1;
    for (long s : shape) n *= s;
    float[] d = new float[(int) n];
    for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian() * 3;
    return Tensor.fromFloats(d, shape);
  }

  @Test
  void recognizedEpiloguesAreFusedAndComputeTheSame() {
    int idx = 0;
    for (Case c : CASES) {
      String ir = HEAD + c.body() + "\n}";
      Random r = new Random(11 + idx);
      Map<String, Tensor> weights = new HashMap<>(Map.of("w", random(r, 24, 16, 3, 3), "b", random(r, 24)));
      List<Object> in = List.of(random(r, 1, 16, 10, 10), random(r, 1, 24, 10, 10));
      Tensor want = (Tensor) new Interpreter(IrParser.parse(ir, "epi"), weights).run(in).get(0);
      Graph opt = PassManager.parse("fuse,nhwc").run(Program.of(IrParser.parse(ir, "epi"))).graph();
      KernelProgram kp = KernelLowering.lower(opt);
      List<ConvEpilogue> found = new ArrayList<>();
      int convs = 0;
      for (Kernel k : kp.kernels())
        for (int i = 0; i < k.body().size(); i++)
          if (k.body().get(i) instanceof Stmt.Conv conv) {
            convs++;
            if (i + 1 < k.body().size()) {
              ConvEpilogue e = ConvEpilogue.match(conv, k.body().get(i + 1), n -> kp.storageOf(n).name());
              if (e != null) found.add(e);
            }
          }
      assertEquals(1, convs, c.body());
      if (c.lo() == null) assertTrue(found.isEmpty(), "not an epilogue the conv applies: " + c.body() + " got " + found);
      else {
        assertEquals(1, found.size(), c.body());
        ConvEpilogue e = found.get(0);
        assertEquals(c.lo(), e.lo(), c.body());
        assertEquals(c.hi(), e.hi(), c.body());
        if (c.residual()) assertNotNull(e.residual(), c.body());
        else assertNull(e.residual(), c.body());
      }
      var m = JvmBackend.compile(kp, weights, new JvmOptions("dev.kiln.gen.Epi" + idx, true)).instantiate(weights);
      for (int run = 0; run < 2; run++) {
        Tensor got = (Tensor) m.run(in).get(0);
        assertTrue(got.allClose(want, 1e-4, 1e-4), c.body() + " run " + run + ": max |diff| " + got.maxAbsDiff(want));
      }
      idx++;
    }
  }
}
