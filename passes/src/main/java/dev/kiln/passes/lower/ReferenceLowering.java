package dev.kiln.passes.lower;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.rewrite.IrCloner;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fallback for nodes without a loop or primitive lowering: the node (with its nested blocks) is cut out as a
 * graph of its own, whose parameters are the values it uses from outside, and the generated code runs that graph
 * with the reference interpreter ({@code dev.kiln.runtime.interp.Interpreter}). Constants it uses are copied into
 * the graph (named weights are looked up in the weight table the model was made with). Tensor parameters are
 * passed in row-major order, so channels-last values are copied to row-major first and results copied back.
 */
final class ReferenceLowering {
  private ReferenceLowering() {}

  static void lower(LowerContext c, Node n) {
    Set<Value> free = new LinkedHashSet<>();
    collectFree(n, free, new java.util.HashSet<>());
    Graph g = new Graph("ref" + c.references.size());
    Map<Value, Value> map = new LinkedHashMap<>();
    List<Node> consts = new ArrayList<>();
    List<String> inputs = new ArrayList<>();
    for (Value v : free) {
      Node d = v.definingNode();
      if (d != null && d.op() == ControlOps.CONST && !c.hasView(v) && c.obj(v) == null) { consts.add(d); continue; }
      map.put(v, g.addParam(v.type() instanceof TensorType t ? t.withLayout(dev.kiln.ir.Layout.CONTIGUOUS) : v.type(), v.name()));
      inputs.add(argument(c, n, v));
    }
    for (Node d : consts) if (!map.containsKey(d.result())) g.body().append(IrCloner.clone(d, map));
    Node copy = IrCloner.clone(n, map);
    g.body().append(copy);
    List<Value> rets = new ArrayList<>();
    for (Value r : copy.results()) rets.add(r);
    g.body().append(Node.create(ControlOps.RETURN, rets, Map.of(), List.of(), 0));
    stripLayouts(g.body());
    List<String> outputs = new ArrayList<>();
    List<Runnable> after = new ArrayList<>();
    for (Value r : n.results()) {
      KType t = LowerContext.bufferType(r);
      if (t == null) {
        String b = c.addBuffer(r.name(), KType.OBJ, null, KBuffer.Role.TEMP, null);
        c.bindObj(r, b);
        outputs.add(b);
      } else if (LowerContext.nhwc(r)) {
        long[] s = ((TensorType) r.type()).shape().sizes();
        View dense = View.dense(c.addBuffer(r.name() + "_rm", t, s, KBuffer.Role.TEMP, null), t, s, false);
        outputs.add(dense.buffer());
        after.add(() -> MovementLowering.copy(c, n, dense, c.define(r)));
      } else {
        outputs.add(c.define(r).buffer());
      }
    }
    c.references.add(IrPrinter.print(g));
    c.emit(n.describe(), "ref", List.of(new Stmt.CallReference(c.references.size() - 1, inputs, outputs)));
    after.forEach(Runnable::run);
  }

  /** The buffer passed for {@code v}: its obj buffer, or its tensor buffer (copied row-major when it is not). */
  private static String argument(LowerContext c, Node n, Value v) {
    if (c.obj(v) != null) return c.obj(v);
    View x = c.view(v);
    if (x.isRowMajor()) {
      // The call reads a whole buffer at the buffer's shape: a row-major view of another shape (select index 0 is a
      // prefix, a transpose of a size-1 dim keeps the order) is passed as an alias of the view's shape.
      if (java.util.Arrays.equals(c.buffers.get(x.buffer()).shape(), x.shape())) return x.buffer();
      return c.addBuffer(x.buffer() + "_view", x.type(), x.shape(), KBuffer.Role.ALIAS, x.buffer());
    }
    View dense = View.dense(c.addBuffer(x.buffer() + "_rm", x.type(), x.shape(), KBuffer.Role.TEMP, null), x.type(), x.shape(), false);
    MovementLowering.copy(c, n, x, dense);
    return dense.buffer();
  }

  /** Values used by {@code n} or inside its blocks but defined outside it, in order of first use. */
  private static void collectFree(Node n, Set<Value> free, Set<Value> inside) {
    for (Value v : n.operands()) if (!inside.contains(v)) free.add(v);
    for (Block b : n.blocks()) {
      inside.addAll(b.args());
      for (Node m : b.nodes()) {
        collectFree(m, free, inside);
        inside.addAll(m.results());
      }
    }
  }

  /** The cut graph sees row-major tensors, so channels-last types inside it are made contiguous. */
  private static void stripLayouts(Block b) {
    for (Value a : b.args()) if (a.type() instanceof TensorType t) a.setType(t.withLayout(dev.kiln.ir.Layout.CONTIGUOUS));
    for (Node m : b.nodes()) {
      for (Value r : m.results()) if (r.type() instanceof TensorType t) r.setType(t.withLayout(dev.kiln.ir.Layout.CONTIGUOUS));
      for (Block inner : m.blocks()) stripLayouts(inner);
    }
  }
}
