package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphStatsTest {
  @Test
  void countsOpsParameterBytesAndThePeakOfLiveActivations() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[4]) -> (f32[4]) {
          %w = const {name="w"} : f32[3,4]
          %w2 = const {name="w"} : f32[3,4]
          %l = const {value=[1.0,2.0]} : f32[2]
          %a = nn.relu(%x) : f32[4]
          %b = nn.exp(%x) : f32[4]
          %c = nn.add(%a, %b) : f32[4]
          %d = nn.neg(%c) : f32[4]
          return(%d)
        }
        """, "t");
    GraphStats s = GraphStats.of(g);
    assertEquals(3, s.nodesByOp().get("const"));
    assertEquals(8, s.nodes());
    assertEquals(48, s.weightBytes(), "one distinct weight of 12 f32");
    assertEquals(8, s.literalBytes());
    // At exp: x (still read by exp), a and b are live: 3 * 16 bytes; later at most a, b, c or c, d.
    assertEquals(48, s.peakActivationBytes());
    assertEquals(List.of(), s.nonStatic());
  }

  @Test
  void thePeakIsUnknownWithNonStaticShapes() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[N,4]) -> (f32[N,4]) {
          %a = nn.relu(%x) : f32[N,4]
          return(%a)
        }
        """, "t");
    GraphStats s = GraphStats.of(g);
    assertEquals(-1, s.peakActivationBytes());
    assertEquals("x", s.nonStatic().get(0).name());
    GraphStats bound = GraphStats.of(PassManager.parse("specialize=N:2").run(g));
    assertEquals(64, bound.peakActivationBytes(), "x and relu's result, 2x4 f32 each");
  }
}
