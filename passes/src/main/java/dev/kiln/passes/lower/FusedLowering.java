package dev.kiln.passes.lower;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code fused} nodes: an elementwise group becomes one loop nest; an {@code <anchor>+epilogue} group the anchor's
 * primitive call writing the group's output buffer followed, in the same kernel, by the epilogue loop updating that
 * buffer in place; any other kind (attention) is lowered node by node as if its block were top level.
 */
final class FusedLowering {
  private FusedLowering() {}

  /** @return "loop" or "primitive", for the report */
  static String lower(LowerContext c, Node f) {
    String kind = f.attrStr("kind");
    var block = f.block(0);
    Map<Value, Object> inputs = new LinkedHashMap<>();
    for (int i = 0; i < f.numOperands(); i++) {
      Value outer = f.operand(i), arg = block.arg(i);
      Expr k = LowerContext.literalScalar(outer, ElementwiseLowering.elementType(arg));
      if (k != null) { inputs.put(arg, k); continue; }
      View v = c.view(outer);
      c.bind(arg, v);
      inputs.put(arg, v);
    }
    Node yield = block.terminator();
    List<Node> nodes = new ArrayList<>(block.nodes());
    nodes.remove(yield);
    if (kind.equals(FusedOps.ELEMENTWISE)) {
      ElementwiseLowering.body(c, f.describe() + " {kind=\"" + kind + "\"}", "fused", inputs, nodes, yield.operands(), f.results());
      return "loop";
    }
    if (kind.endsWith("+epilogue")) {
      int a = 0;
      while (nodes.get(a).op() == ControlOps.CONST) a++;
      Node anchor = nodes.get(a);
      if (!LinalgLowering.handles(anchor.op().name()) || f.results().size() != 1) throw new Unsupported("epilogue anchor " + anchor.op().name());
      View out = c.define(f.result(0));
      c.bind(anchor.result(), out);
      List<Stmt> body = new ArrayList<>(LinalgLowering.lower(c, anchor, out));
      inputs.put(anchor.result(), out);
      List<Node> rest = new ArrayList<>(nodes);
      rest.remove(anchor);
      body.addAll(ElementwiseLowering.loop(c, inputs, rest, yield.operands(), f.results()));
      c.emit(f.describe() + " {kind=\"" + kind + "\"}", anchor.op().name() + "_epilogue", body);
      return "primitive";
    }
    for (Node n : nodes) {
      if (n.op() == ControlOps.CONST) continue;
      KernelLowering.lowerNode(c, n);
    }
    for (int i = 0; i < f.results().size(); i++) c.bind(f.result(i), c.view(yield.operand(i)));
    return "loop";
  }
}
