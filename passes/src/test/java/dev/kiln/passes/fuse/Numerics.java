package dev.kiln.passes.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.Pass;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;

/** Runs passes on a copy of a graph and checks that the interpreter gives the same outputs before and after. */
public final class Numerics {
  private Numerics() {}

  /** A deep copy through the text form (which round-trips). */
  public static Graph copy(Graph g) { return IrParser.parse(IrPrinter.print(g), g.name() + ".kir"); }

  /**
   * Verifies {@code g}, runs {@code passes} in order on a copy (verifying after each), and compares outputs on
   * {@code inputs} within 1e-5 relative (plus 1e-6 absolute for values near zero).
   *
   * @return the transformed graph
   */
  public static Graph assertPreserved(Graph g, Map<String, Tensor> weights, List<Object> inputs, Pass... passes) {
    Verifier.verify(g);
    Graph after = copy(g);
    for (Pass p : passes) {
      after = p.run(after);
      Verifier.verify(after);
    }
    List<Object> want = new Interpreter(g, weights).run(inputs);
    List<Object> got = new Interpreter(after, weights).run(inputs);
    assertEquals(want.size(), got.size());
    for (int i = 0; i < want.size(); i++) {
      Tensor w = (Tensor) want.get(i), o = (Tensor) got.get(i);
      assertArrayEquals(w.shape(), o.shape(), "output " + i + " shape");
      float[] a = w.toFloatArray(), c = o.toFloatArray();
      for (int k = 0; k < a.length; k++) {
        double tol = 1e-5 * Math.abs(a[k]) + 1e-6;
        assertTrue(Math.abs(a[k] - c[k]) <= tol, "output " + i + " element " + k + ": " + a[k] + " before, " + c[k] + " after");
      }
    }
    return after;
  }
}
