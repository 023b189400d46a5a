package dev.kiln.passes.quant;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.passes.rewrite.IrCloner;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Undoes fusion for groups that quantization rewrites: a {@code fused} node whose body holds an op it quantizes is
 * replaced by the nodes of its body (block arguments become the node's operands), so that the float layer inside
 * can become a quantized one. Running {@code fuse} afterwards regroups what it still can.
 */
final class FusedInliner {
  private FusedInliner() {}

  /** Inlines every top-level fused node whose body has a node matching {@code quantizable}; returns how many. */
  static int inline(Graph g, Predicate<Node> quantizable) {
    int n = 0;
    for (Node f : List.copyOf(g.body().nodes())) {
      if (f.op() != FusedOps.FUSED || f.block(0).nodes().stream().noneMatch(quantizable)) continue;
      inline(f);
      n++;
    }
    return n;
  }

  private static void inline(Node f) {
    Block body = f.block(0);
    Map<Value, Value> map = new IdentityHashMap<>();
    for (int k = 0; k < body.args().size(); k++) map.put(body.arg(k), f.operand(k));
    Node yield = body.terminator();
    java.util.Set<Node> copies = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Node m : body.nodes()) if (m != yield) copies.add(f.block().insertBefore(f, IrCloner.clone(m, map)));
    List<Value> outs = new ArrayList<>();
    for (Value v : yield.operands()) outs.add(map.getOrDefault(v, v));
    List<String> names = f.results().stream().map(Value::name).toList();
    for (int i = 0; i < outs.size(); i++) f.result(i).replaceAllUsesWith(outs.get(i));
    f.erase();
    // The group's results keep their names: the printed graph reads as before fusion.
    for (int i = 0; i < outs.size(); i++) if (names.get(i) != null && copies.contains(outs.get(i).definingNode())) outs.get(i).setName(names.get(i));
  }
}
