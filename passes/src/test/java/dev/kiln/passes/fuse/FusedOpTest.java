package dev.kiln.passes.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fused op itself: its text form, the verifier's rules for its block, and running it. */
class FusedOpTest {
  private static final String GOOD = """
      graph @g(%x: f32[3], %y: f32[3]) -> (f32[3]) {
        %r = fused(%x, %y) {kind="elementwise"} : f32[3] {
        ^(%a: f32[3], %b: f32[3]):
          %s = nn.add(%a, %b) {alpha=1} : f32[3]
          %t = nn.relu(%s) : f32[3]
          yield(%t)
        }
        return(%r)
      }
      """;

  @Test
  void roundTripsVerifiesAndRunsItsBlock() {
    Graph g = IrParser.parse(GOOD, "good.kir");
    assertEquals(GOOD, IrPrinter.print(g));
    Verifier.verify(g);
    Object out = new Interpreter(g, Map.of()).run(List.of(Tensor.fromFloats(new float[] {1, -2, 3}, 3),
        Tensor.fromFloats(new float[] {-3, 1, 0.5f}, 3))).get(0);
    assertArrayEquals(new float[] {0, 0, 3.5f}, ((Tensor) out).toFloatArray());
  }

  @Test
  void verifierChecksArgumentsYieldAndIsolation() {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[3], %y: f32[3]) -> (f32[3]) {
          %r = fused(%x, %y) {kind="elementwise"} : f32[3] {
          ^(%a: f32[3]):
            %s = nn.add(%a, %y) {alpha=1} : f32[3]
            yield(%s, %s)
          }
          return(%r)
        }
        """, "bad.kir");
    List<String> problems = Verifier.check(g);
    assertEquals(List.of(
        "block 0 of %r = fused has 1 arguments, expected 2 (one per operand)",
        "yield (node 1 of block 0 of %r = fused): yields 2 values, expected 1 (one per result of %r = fused)",
        "%s = nn.add: operand 1 (%y) is defined outside block 0 of %r = fused; a fused block sees only its arguments"), problems);
  }
}
