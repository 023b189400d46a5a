package dev.kiln.passes.analysis;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.shapes.ShapeInference;
import java.util.ArrayList;
import java.util.List;

/**
 * The batch-1 graph of a {@link BatchSeparable} graph: a copy in which every batched value (parameters, results,
 * activations, fused block values) has dim 0 = 1 instead of the batch, whether the batch was a static size or a
 * symbol such as {@code N} (as {@code specialize=N:1} would bind it); a {@code nn.reshape}'s written {@code shape}
 * gets 1 in its first entry (an entry of -1 stays). Shape inference then re-runs over the copy as a check: a rule
 * that disagrees with the rewritten types throws. The given graph is not changed.
 */
public final class PerSampleGraph {
  private PerSampleGraph() {}

  /**
   * @param g a graph {@link BatchSeparable#analyze} finds separable
   * @return the batch-1 copy
   * @throws IllegalArgumentException when {@code g} is not separable, or when shape inference disagrees with the
   *     rewritten copy (naming the node)
   */
  public static Graph of(Graph g) {
    Graph copy = IrParser.parse(IrPrinter.print(g), g.name());
    BatchSeparable.Result r = BatchSeparable.analyze(copy);
    if (!r.separable()) throw new IllegalArgumentException("graph @" + g.name() + " is not batch-separable: " + r.reason());
    for (Value v : r.batched()) {
      TensorType t = (TensorType) v.type();
      List<Dim> dims = new ArrayList<>(t.shape().dims());
      dims.set(0, Dim.of(1));
      v.setType(t.withShape(Shape.of(dims)));
    }
    for (Node n : copy.allNodes()) {
      if (!n.op().name().equals("nn.reshape") || !r.batched().contains(n.operand(0)) || n.attrIsNone("shape")) continue;
      long[] s = n.attrInts("shape");
      if (s.length > 0 && s[0] != -1) {
        s[0] = 1;
        n.setAttr("shape", Attr.ints(s));
      }
    }
    try {
      ShapeInference.refine(copy);
    } catch (IrException e) {
      throw new IllegalArgumentException("graph @" + g.name() + " at batch 1: " + e.getMessage(), e);
    }
    return copy;
  }
}
