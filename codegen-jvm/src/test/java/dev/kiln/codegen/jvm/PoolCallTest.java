package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Channels-last max pooling loop nests become {@code Pool2d.maxNhwc} calls ({@link PoolCall}) with the geometry the
 * graph asked for, and the compiled model still equals the interpreter; average pooling stays loops.
 */
class PoolCallTest {
  /** Pool attributes, output h/w, whether it is a max pool (matched) or not. */
  record Case(String op, String attrs, int oh, int ow, int[] params) {}

  static final List<Case> CASES = List.of(
      new Case("nn.max_pool2d", "{kernel_size=[3,3], stride=[2,2]}", 5, 6, new int[] {2, 20, 11, 13, 3, 3, 2, 2, 0, 0, 1, 1, 5, 6}),
      new Case("nn.max_pool2d", "{kernel_size=[3,3], stride=[2,2], padding=[1,1]}", 6, 7, new int[] {2, 20, 11, 13, 3, 3, 2, 2, 1, 1, 1, 1, 6, 7}),
      new Case("nn.max_pool2d", "{kernel_size=[3,3], stride=[2,2], ceil_mode=true}", 5, 6, new int[] {2, 20, 11, 13, 3, 3, 2, 2, 0, 0, 1, 1, 5, 6}),
      new Case("nn.max_pool2d", "{kernel_size=[3,2], stride=[1,2], padding=[1,1], dilation=[2,1], ceil_mode=true}", 9, 7,
          new int[] {2, 20, 11, 13, 3, 2, 1, 2, 1, 1, 2, 1, 9, 7}),
      new Case("nn.avg_pool2d", "{kernel_size=[3,3], stride=[2,2]}", 5, 6, null));

  static Tensor random(Random r, long... shape) {
    long n = 1;
    for (long s : shape) n *= s;
    float[] d = new float[(int) n];
    for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
    return Tensor.fromFloats(d, shape);
  }

  @Test
  void maxPoolNestsBecomePrimitiveCalls() {
    int idx = 0;
    for (Case c : CASES) {
      // A conv in front makes the nhwc pass lay the pool out channels-last.
      String ir = """
          graph @g(%x: f32[2,8,11,13]) -> (f32[2,20,OH,OW]) {
            %w = const {name="w"} : f32[20,8,1,1]
            %0 = nn.conv2d(%x, %w) : f32[2,20,11,13]
            %1 = OP(%0) ATTRS : f32[2,20,OH,OW]
            return(%1)
          }""".replace("OP", c.op()).replace("ATTRS", c.attrs()).replace("OH", "" + c.oh()).replace("OW", "" + c.ow());
      Random r = new Random(31 + idx);
      Map<String, Tensor> weights = new HashMap<>(Map.of("w", random(r, 20, 8, 1, 1)));
      List<Object> in = List.of(random(r, 2, 8, 11, 13));
      Tensor want = (Tensor) new Interpreter(IrParser.parse(ir, "pool"), weights).run(in).get(0);
      Graph opt = PassManager.parse("fuse,nhwc").run(Program.of(IrParser.parse(ir, "pool"))).graph();
      KernelProgram kp = KernelLowering.lower(opt);
      List<PoolCall> found = new ArrayList<>();
      for (Kernel k : kp.kernels())
        for (Stmt s : k.body()) {
          PoolCall pc = PoolCall.match(s, kp);
          if (pc != null) found.add(pc);
        }
      if (c.params() == null) assertTrue(found.isEmpty(), c.op() + " must stay loops");
      else {
        assertEquals(1, found.size(), c.attrs());
        assertArrayEquals(c.params(), found.get(0).params(), c.attrs());
      }
      var m = JvmBackend.compile(kp, weights, new JvmOptions("dev.kiln.gen.Pool" + idx, true)).instantiate(weights);
      Tensor got = (Tensor) m.run(in).get(0);
      assertTrue(got.allClose(want, 1e-5, 1e-5), c.op() + " " + c.attrs() + ": max |diff| " + got.maxAbsDiff(want));
      idx++;
    }
  }
}
