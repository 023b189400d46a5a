package dev.kiln.passes.memory;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Liveness of the tensors a graph body computes, at the granularity of the body's nodes (position = index in the
 * body). Only results of body nodes are tracked; parameters and constants are owned by the caller and the weight
 * table.
 *
 * <p>Storage: a result <em>owns</em> storage when its op writes a new tensor; it is an <em>alias</em> when it can
 * share its operands' storage: results of MOVEMENT ops (views; except {@link #COPIES}, which write new tensors),
 * eval-mode dropout (the input itself), containers (list, tuple, optional) and what is taken out of them, and the results of
 * {@code if}/{@code loop}, which may yield outer values. An alias keeps every owner it may point into alive.
 *
 * <p>Conservative for nested blocks: a value used anywhere inside a node's blocks is used at that node's position,
 * and values defined inside blocks are not tracked (the block allocates them while it runs).
 */
final class Liveness {
  /** Owning values in definition order. */
  final List<Value> owners = new ArrayList<>();
  /** For every tracked value, the owners whose storage it may be (an owner maps to itself). */
  final Map<Value, Set<Value>> roots = new LinkedHashMap<>();
  final Map<Value, Integer> first = new LinkedHashMap<>(), last = new LinkedHashMap<>();
  /** Owners returned by the graph (directly or through an alias): their storage is handed to the caller. */
  final Set<Value> returned = java.util.Collections.newSetFromMap(new LinkedHashMap<>());
  final List<Node> body;

  /** MOVEMENT ops that write a new tensor rather than a view. */
  static final Set<OpDef> COPIES = Set.of(FusedOps.TO_LAYOUT, ShapeOps.CONTIGUOUS, ShapeOps.CAT, ShapeOps.STACK);

  Liveness(Graph g) {
    body = g.body().nodes();
    for (int i = 0; i < body.size(); i++) {
      Node n = body.get(i);
      for (Value used : usedIn(n)) extend(used, i);
      if (n.op() == ControlOps.RETURN) for (Value v : n.operands()) returned.addAll(roots.getOrDefault(v, Set.of()));
      define(n, i);
    }
  }

  private void define(Node n, int i) {
    if (n.op() == ControlOps.CONST) return;
    boolean alias = n.op().hasTrait(OpDef.Trait.MOVEMENT) && !COPIES.contains(n.op()) || n.op() == ElementwiseOps.DROPOUT
        || n.op() == ControlOps.IF || n.op() == ControlOps.LOOP;
    for (Value o : n.operands()) if (isContainer(o.type())) alias = true;
    for (Value r : n.results()) {
      if (!holdsTensors(r.type())) continue;
      Set<Value> rs = new LinkedHashSet<>();
      if (alias || isContainer(r.type())) {
        for (Value used : usedIn(n)) rs.addAll(roots.getOrDefault(used, Set.of()));
      } else {
        rs.add(r);
        owners.add(r);
        first.put(r, i);
        last.put(r, i);
      }
      roots.put(r, rs);
    }
  }

  /** A use at position {@code i} keeps every owner behind {@code v} alive until {@code i}. */
  private void extend(Value v, int i) {
    for (Value o : roots.getOrDefault(v, Set.of())) last.merge(o, i, Math::max);
  }

  /** Operands of {@code n} and of every node nested in its blocks (values defined inside are simply not tracked). */
  static Set<Value> usedIn(Node n) {
    Set<Value> out = new LinkedHashSet<>(n.operands());
    for (Block b : n.blocks()) for (Node m : b.nodes()) out.addAll(usedIn(m));
    return out;
  }

  static boolean isContainer(Type t) { return t instanceof ListType || t instanceof TupleType || t instanceof OptionalType; }

  static boolean holdsTensors(Type t) {
    return switch (t) {
      case TensorType tt -> true;
      case ListType l -> holdsTensors(l.element());
      case OptionalType o -> holdsTensors(o.element());
      case TupleType tu -> tu.elements().stream().anyMatch(Liveness::holdsTensors);
      default -> false;
    };
  }
}
