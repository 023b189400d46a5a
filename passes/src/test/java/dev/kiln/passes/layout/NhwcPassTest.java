package dev.kiln.passes.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.fuse.FusePass;
import dev.kiln.passes.fuse.Numerics;
import dev.kiln.passes.fuse.TestModels;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The nhwc pass: where conversions go, what is left of them, and that values do not change. */
class NhwcPassTest {
  private static int nhwcValues(Graph g) {
    int n = 0;
    for (Node node : g.allNodes()) for (Value r : node.results()) if (r.type() instanceof TensorType t && t.layout() == Layout.NHWC) n++;
    return n;
  }

  @Test
  void resnetKeepsOneConversionInAndOneOut() {
    TestModels m = new TestModels(11);
    Graph g = m.resnet(16, 4, 8);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 16, 16)), new NhwcPass());
    // The image is converted once before the stem; the pooled features once before flatten. Everything between --
    // convolutions, batch norms, max pool, residual adds, relus -- stays channels-last.
    assertEquals(2, NhwcPass.countConversions(after));
    String text = IrPrinter.print(after);
    assertTrue(text.contains("nn.to_layout(%x) {layout=\"nhwc\"} : f32[1,3,16,16]{nhwc}"), text);
    assertTrue(text.contains("{layout=\"contiguous\"} : f32[1,8,1,1]\n"), text);
    for (Node n : after.body().nodes())
      if (n.op().name().equals("nn.conv2d")) assertEquals(Layout.NHWC, ((TensorType) n.operand(0).type()).layout());
  }

  @Test
  void fusedConvolutionGroupsGoChannelsLastInsideToo() {
    TestModels m = new TestModels(12);
    m.batchNorm = false;
    Graph g = m.resnet(16, 4, 8);
    Graph after = Numerics.assertPreserved(g, m.weights, List.of(m.input(1, 3, 16, 16)), new FusePass(), new NhwcPass());
    assertEquals(2, NhwcPass.countConversions(after));
    for (Node n : after.body().nodes())
      if (n.op() == FusedOps.FUSED) {
        for (Node inner : n.block(0).nodes())
          if (!inner.results().isEmpty()) assertEquals(Layout.NHWC, ((TensorType) inner.result(0).type()).layout(), inner.describe());
      }
  }

  @Test
  void graphWithoutConvolutionsIsUntouched() {
    TestModels m = new TestModels(13);
    Graph g = m.mlp(2, 8);
    String before = IrPrinter.print(g);
    NhwcPass.Stats s = NhwcPass.convert(g);
    assertEquals(new NhwcPass.Stats(0, 0, 0), s);
    assertEquals(before, IrPrinter.print(g));
  }

  @Test
  void secondRunInsertsNothing() {
    TestModels m = new TestModels(14);
    Graph g = m.resnet(8, 4);
    NhwcPass.Stats first = NhwcPass.convert(g);
    String once = IrPrinter.print(g);
    NhwcPass.Stats second = NhwcPass.convert(g);
    assertEquals(once, IrPrinter.print(g));
    assertEquals(0, second.inserted());
    assertEquals(first.remaining(), second.remaining());
    assertTrue(nhwcValues(g) > 0, "values are channels-last");
  }

  @Test
  void conversionsThatUndoEachOtherAreRemoved() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[1,2,3,3], %w: f32[2,2,1,1]) -> (f32[1,2,3,3]) {
          %a = nn.conv2d(%x, %w) : f32[1,2,3,3]
          %b = nn.contiguous(%a) : f32[1,2,3,3]
          %c = nn.to_layout(%b) {layout="contiguous"} : f32[1,2,3,3]
          %d = nn.to_layout(%c) {layout="nhwc"} : f32[1,2,3,3]{nhwc}
          %e = nn.to_layout(%d) {layout="contiguous"} : f32[1,2,3,3]
          %f = nn.relu(%e) : f32[1,2,3,3]
          return(%f)
        }
        """, "g.kir");
    Graph before = Numerics.copy(g);
    NhwcPass.Stats s = NhwcPass.convert(g);
    Verifier.verify(g);
    // contiguous(contiguous) and contiguous(nhwc(contiguous)) cancel; left: x in, a out before nn.contiguous.
    assertEquals(2, s.remaining(), IrPrinter.print(g));
    assertTrue(s.cancelled() >= 3, s.toString());
    Tensor x = Tensor.fromFloats(new float[] {1, -2, 3, 4, 5, -6, 7, 8, 9, 10, 11, -12, 13, 14, 15, 16, 17, 18}, 1, 2, 3, 3);
    Tensor w = Tensor.fromFloats(new float[] {1, -1, 0.5f, 2}, 2, 2, 1, 1);
    Object want = new Interpreter(before, Map.of()).run(List.of(x, w)).get(0);
    Object got = new Interpreter(g, Map.of()).run(List.of(x, w)).get(0);
    assertArrayEquals(((Tensor) want).toFloatArray(), ((Tensor) got).toFloatArray());
  }

  @Test
  void toLayoutStoresChannelsLastWithoutChangingValues() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[1,2,2,3]) -> (f32[1,2,2,3]{nhwc}) {
          %y = nn.to_layout(%x) {layout="nhwc"} : f32[1,2,2,3]{nhwc}
          return(%y)
        }
        """, "g.kir");
    float[] v = new float[12];
    for (int i = 0; i < v.length; i++) v[i] = i;
    Tensor y = (Tensor) new Interpreter(g, Map.of()).run(List.of(Tensor.fromFloats(v, 1, 2, 2, 3))).get(0);
    assertArrayEquals(new long[] {1, 2, 2, 3}, y.shape());
    assertArrayEquals(new long[] {12, 1, 6, 2}, y.strides(), "channels-last strides [H*W*C, 1, W*C, C]");
    assertArrayEquals(v, y.toFloatArray());
  }
}
