package dev.kiln.passes.shapes;

import dev.kiln.ir.Block;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeError;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.passes.rewrite.Types;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-runs every op's type rule in program order and refines the written result types with what it infers: an
 * unknown {@code ?} dim becomes static or symbolic when the rule knows it, a symbol stays a symbol (a batch {@code N}
 * stays {@code N} end to end). Control flow takes its types from its blocks: an {@code if} result keeps what both
 * branches agree on, a {@code loop}'s carried values and body arguments follow its initial values, and a
 * {@code fused} block's arguments mirror its operands.
 */
public final class ShapeInference {
  private ShapeInference() {}

  /**
   * Refines {@code g} in place.
   *
   * @return how many value types changed
   * @throws IrException naming the node when a rule fails or contradicts a written type
   */
  public static int refine(Graph g) { return new Walk().block(g.body()); }

  private static final class Walk {
    int changed;

    int block(Block b) {
      for (Node n : b.nodes()) node(n);
      return changed;
    }

    private void node(Node n) {
      if (n.op() == ControlOps.IF) {
        for (Block b : n.blocks()) block(b);
        List<Type> joined = new ArrayList<>();
        for (int i = 0; i < n.results().size(); i++) joined.add(join(yielded(n.block(0), i), yielded(n.block(1), i)));
        setAll(n, joined);
      } else if (n.op() == FusedOps.FUSED) {
        Block body = n.block(0);
        for (int i = 0; i < body.args().size() && i < n.numOperands(); i++) set(body.arg(i), n.operand(i).type(), n);
        block(body);
        List<Type> ys = new ArrayList<>();
        for (int i = 0; i < n.results().size(); i++) ys.add(yielded(body, i));
        setAll(n, ys);
      } else if (n.op() == ControlOps.LOOP) {
        setAll(n, infer(n));
        Block body = n.block(0);
        for (int i = 0; i < n.results().size() && i + 1 < body.args().size(); i++) set(body.arg(i + 1), n.result(i).type(), n);
        block(body);
      } else if (n.op().hasTypeRule()) {
        setAll(n, infer(n));
        for (Block b : n.blocks()) block(b);
      } else {
        for (Block b : n.blocks()) block(b);
      }
    }

    private static List<Type> infer(Node n) {
      try {
        return n.op().inferTypes(n.operands().stream().map(Value::type).toList(), n.attrs());
      } catch (TypeError e) {
        throw new IrException(n.describe() + ": " + e.getMessage());
      }
    }

    /** Merges each inferred type (null: nothing known) into the written one. */
    private void setAll(Node n, List<Type> inferred) {
      if (inferred.size() != n.results().size())
        throw new IrException(n.describe() + ": has " + n.results().size() + " results, its type rule gives " + inferred.size());
      for (int i = 0; i < inferred.size(); i++) if (inferred.get(i) != null) set(n.result(i), inferred.get(i), n);
    }

    private void set(Value v, Type inferred, Node at) {
      Type merged = Types.merge(v.type(), inferred);
      if (merged == null)
        throw new IrException(at.describe() + ": %" + v.displayName() + " is written " + v.type().text() + " but inferred " + inferred.text());
      if (!merged.equals(v.type())) {
        v.setType(merged);
        changed++;
      }
    }

    private static Type yielded(Block b, int i) {
      Node y = b.terminator();
      return y != null && i < y.numOperands() ? y.operand(i).type() : null;
    }
  }

  /** What two types agree on: equal dims stay, differing ones become unknown; null when they are not alike. */
  static Type join(Type a, Type b) {
    if (a == null || b == null) return null;
    if (a.equals(b)) return a;
    if (a instanceof TensorType ta && b instanceof TensorType tb && ta.dtype() == tb.dtype()) {
      if (!ta.shape().isRanked() || !tb.shape().isRanked() || ta.rank() != tb.rank()) return ta.withShape(Shape.UNRANKED);
      List<Dim> out = new ArrayList<>();
      for (int i = 0; i < ta.rank(); i++) out.add(ta.shape().dim(i).equals(tb.shape().dim(i)) ? ta.shape().dim(i) : Dim.UNKNOWN);
      return ta.withShape(Shape.of(out));
    }
    return null;
  }
}
