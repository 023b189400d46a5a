package dev.kiln.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Folding through the reference kernels, with weights from the program's table. */
class ConstantFolderTest {
  @Test
  void foldsOpsOnKnownWeightsIntoLiteralsAndLeavesTheTableAlone() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[3]) -> (f32[3]) {
          %w = const {name="w"} : f32[3]
          %s = nn.sigmoid(%w) : f32[3]
          %y = nn.mul(%x, %s) : f32[3]
          return(%y)
        }
        """, "t");
    Map<String, Tensor> w = Map.of("w", Tensor.fromFloats(new float[] {0f, 0f, 0f}, 3));
    Program p = PassManager.parse("fold,dce").run(Program.of(g, w));
    String text = IrPrinter.print(p.graph());
    assertTrue(text.contains("const {value=[0.5,0.5,0.5]} : f32[3]"), text);
    assertTrue(!text.contains("nn.sigmoid") && !text.contains("name=\"w\""), text);
    assertEquals(1, p.weights().size());
  }

  @Test
  void aWeightMissingFromTheTableIsNotFoldedAndAKernelErrorIsLeftForRunTime() {
    Graph g = IrParser.parse("""
        graph @f(%x: f32[3]) -> (f32[3], int) {
          %w = const {name="absent"} : f32[3]
          %s = nn.sigmoid(%w) : f32[3]
          %y = nn.mul(%x, %s) : f32[3]
          %l = const {value=[1,2]} : list<int>
          %i = const {value=5} : int
          %e = prim.list_get(%l, %i) : int
          return(%y, %e)
        }
        """, "t");
    String text = IrPrinter.print(PassManager.parse("fold").run(g));
    assertTrue(text.contains("nn.sigmoid(%w)"), text);
    assertTrue(text.contains("prim.list_get(%l, %i)"), "an out-of-range index fails at run time, as before:\n" + text);
  }
}
