package dev.kiln.passes.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.DcePass;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The fuse pass on graphs built for it: what it groups, and that the interpreter computes the same before and after. */
class FusePassTest {
  /** Kind of each top-level fused node, counted. */
  static Map<String, Integer> kinds(Graph g) {
    Map<String, Integer> m = new TreeMap<>();
    for (Node n : g.body().nodes()) if (n.op() == FusedOps.FUSED) m.merge(n.attrStr("kind"), 1, Integer::sum);
    return m;
  }

  @Test
  void convBiasReluStackBecomesOneGroupPerConvolution() {
    TestModels m = new TestModels(1);
    m.batchNorm = false;
    Graph g = m.convBnReluStack(3, 8, 10);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 10, 10)), new FusePass());
    assertEquals(Map.of("conv2d+epilogue", 3), kinds(after));
    // The last group carries relu, relu6 and sigmoid after its convolution.
    Node last = after.body().nodes().stream().filter(n -> n.op() == FusedOps.FUSED).reduce((a, b) -> b).orElseThrow();
    List<String> inner = last.block(0).nodes().stream().map(n -> n.op().name()).toList();
    assertEquals(List.of("nn.conv2d", "nn.relu", "nn.hardtanh", "nn.sigmoid", "yield"), inner);
    assertEquals(3, last.numOperands(), "input, weight, bias");
  }

  @Test
  void convBnReluWithoutFoldingLeavesBatchNormOutside() {
    TestModels m = new TestModels(2);
    Graph g = m.convBnReluStack(2, 4, 8);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 8, 8)), new FusePass());
    // batch_norm is no epilogue: the convolutions stand alone; only relu -> relu6 -> sigmoid chains up.
    assertEquals(Map.of("elementwise", 1), kinds(after));
    assertEquals(2, after.body().nodes().stream().filter(n -> n.op().name().equals("nn.batch_norm")).count());
  }

  @Test
  void residualBlocksFuseAddAndRelu() {
    TestModels m = new TestModels(3);
    m.batchNorm = false;
    Graph g = m.resnet(16, 4, 8);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 16, 16)), new FusePass());
    // Ten convolutions: the stem, two per basic block, one 1x1 downsample. Each but the downsample (whose only user,
    // the residual add, joins the block's second convolution) gets a group; the head linear has no epilogue.
    assertEquals(10, countBare(g, "nn.conv2d"));
    assertEquals(Map.of("conv2d+epilogue", 9), kinds(after));
    assertEquals(1, countBare(after, "nn.conv2d"));
    long withResidual = after.body().nodes().stream().filter(n -> n.op() == FusedOps.FUSED)
        .filter(n -> n.block(0).nodes().stream().map(x -> x.op().name()).toList().equals(List.of("nn.conv2d", "nn.add", "nn.relu", "yield")))
        .count();
    assertEquals(4, withResidual, "conv, residual add, relu: one per basic block");
  }

  private static int countBare(Graph g, String op) {
    return (int) g.body().nodes().stream().filter(n -> n.op().name().equals(op)).count();
  }

  @Test
  void mlpGetsLinearAndMatmulEpilogues() {
    TestModels m = new TestModels(4);
    Graph g = m.mlp(3, 16);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(3, 16)), new FusePass());
    assertEquals(Map.of("linear+epilogue", 2, "matmul+epilogue", 1), kinds(after));
    // h (gelu output) has two uses, so the first group ends there and h is its output.
    String text = IrPrinter.print(after);
    assertTrue(text.contains("nn.gelu"), text);
  }

  @Test
  void attentionBlockBecomesOneAttentionGroup() {
    for (boolean mask : new boolean[] {false, true}) {
      TestModels m = new TestModels(5);
      Graph g = m.attention(2, 2, 5, 8, mask);
      List<Object> in = mask ? List.of(m.input(2, 2, 5, 8), m.input(1, 1, 5, 5)) : List.of(m.input(2, 2, 5, 8));
      Graph after = Numerics.assertPreserved(g, m.weights, in, new FusePass());
      assertEquals(1, kinds(after).get("attention"));
      Node att = after.body().nodes().stream().filter(n -> n.op() == FusedOps.FUSED && n.attrStr("kind").equals("attention")).findFirst().orElseThrow();
      List<String> ops = att.block(0).nodes().stream().map(n -> n.op().name()).toList();
      List<String> want = mask ? List.of("const", "nn.transpose", "nn.matmul", "nn.div", "nn.add", "nn.softmax", "nn.matmul", "yield")
          : List.of("const", "nn.transpose", "nn.matmul", "nn.div", "nn.softmax", "nn.matmul", "yield");
      assertEquals(want, ops);
      assertEquals(mask ? 4 : 3, att.numOperands(), "q, k, v (and the mask)");
      assertEquals(1, kinds(after).get("linear+epilogue"), "output projection with its residual add");
    }
  }

  @Test
  void multiHeadAttentionWithScaledQueryKeepsItsValues() {
    Graph g = IrParser.parse("""
        graph @mha(%q: f32[4,5,8], %k: f32[4,5,8], %v: f32[4,5,8], %mask: f32[5,5]) -> (f32[4,5,8]) {
          %c = const {value=0.35355339059327373} : float
          %qs = nn.mul(%q, %c) : f32[4,5,8]
          %kt = nn.permute(%k) {dims=[0,2,1]} : f32[4,8,5]
          %s = nn.bmm(%qs, %kt) : f32[4,5,5]
          %sm = nn.add(%mask, %s) {alpha=1} : f32[4,5,5]
          %p = nn.softmax(%sm) {dim=-1} : f32[4,5,5]
          %o = nn.bmm(%p, %v) : f32[4,5,8]
          return(%o)
        }
        """, "mha.kir");
    TestModels m = new TestModels(7);
    Graph after = Numerics.assertPreserved(g, Map.of(),
        List.of(m.input(4, 5, 8), m.input(4, 5, 8), m.input(4, 5, 8), m.input(5, 5)), new FusePass());
    assertEquals(Map.of("attention", 1), kinds(after));
    assertEquals(List.of("return"), after.body().nodes().stream().skip(1).map(n -> n.op().name()).toList());
  }

  @Test
  void neverFusesOverAValueUsedTwice() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4]) -> (f32[4], f32[4]) {
          %a = nn.exp(%x) : f32[4]
          %b = nn.neg(%a) : f32[4]
          %c = nn.relu(%b) : f32[4]
          %d = nn.abs(%b) : f32[4]
          %e = nn.tanh(%d) : f32[4]
          return(%c, %e)
        }
        """, "g.kir");
    Graph after = new FusePass().run(g);
    Verifier.verify(after);
    // %b has two users: exp->neg forms a group with output %b; abs->tanh another; relu stays alone.
    assertEquals(Map.of("elementwise", 2), kinds(after));
    assertEquals(1, countBare(after, "nn.relu"));
  }

  @Test
  void runningTwiceChangesNothing() {
    TestModels m = new TestModels(6);
    Graph g = new FusePass().run(m.mlp(2, 8));
    String once = IrPrinter.print(g);
    assertEquals(once, IrPrinter.print(new FusePass().run(new DcePass().run(g))));
  }

  @Test
  void aSingleElementwiseOpIsNotWrapped() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[4]) -> (f32[4]) {
          %a = nn.exp(%x) : f32[4]
          return(%a)
        }
        """, "g.kir");
    assertEquals(Map.of(), kinds(new FusePass().run(g)));
    assertNull(g.body().nodes().stream().filter(n -> n.op() == FusedOps.FUSED).findFirst().orElse(null));
  }
}
