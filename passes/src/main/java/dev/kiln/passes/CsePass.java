package dev.kiln.passes;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code cse}: common subexpression elimination. Two pure nodes without blocks are the same computation when they
 * have the same op, the same operand values, equal attributes and equal result types; the later one is replaced by
 * the earlier. Blocks are walked with a scoped table: a nested block sees what its enclosing blocks computed before
 * it (which dominates it), but nothing computed inside one block is reused outside it or in a sibling block.
 * Commutative ops match with their two operands swapped too. A {@code fused} node's block is isolated from the values
 * around it and starts with an empty table. Stateless.
 */
public final class CsePass implements Pass {
  /** What identifies a computation. Values compare by identity, attributes and types by value. */
  private record Key(OpDef op, List<Value> operands, Map<String, Attr> attrs, List<Type> types) {}

  @Override public String name() { return "cse"; }

  @Override public String summary() { return "merge identical pure nodes (same op, operands, attributes and types) within dominating scope"; }

  @Override public Graph run(Graph g) {
    walk(g.body(), new ArrayList<>(List.of(new HashMap<>())));
    return g;
  }

  private static void walk(Block b, List<Map<Key, Node>> scopes) {
    Map<Key, Node> mine = new HashMap<>();
    scopes.add(mine);
    for (Node n : List.copyOf(b.nodes())) {
      // A fused block sees only its own arguments, so it starts with no outer computations to reuse.
      for (Block inner : n.blocks()) walk(inner, n.op() == FusedOps.FUSED ? new ArrayList<>() : scopes);
      if (!n.op().hasTrait(OpDef.Trait.PURE) || !n.blocks().isEmpty() || n.results().isEmpty()) continue;
      Key k = key(n, n.operands());
      Node seen = find(scopes, k);
      if (seen == null && n.op().hasTrait(OpDef.Trait.COMMUTATIVE) && n.numOperands() == 2)
        seen = find(scopes, key(n, List.of(n.operand(1), n.operand(0))));
      if (seen == null) {
        mine.put(k, n);
        continue;
      }
      for (int i = 0; i < n.results().size(); i++) n.result(i).replaceAllUsesWith(seen.result(i));
      n.erase();
    }
    scopes.remove(scopes.size() - 1);
  }

  private static Key key(Node n, List<Value> operands) {
    return new Key(n.op(), List.copyOf(operands), Map.copyOf(withDefaults(n)), n.results().stream().map(Value::type).toList());
  }

  /** Attributes with declared defaults filled in, so {@code {alpha=1}} and no alpha are the same. */
  private static Map<String, Attr> withDefaults(Node n) {
    Map<String, Attr> m = new HashMap<>();
    for (var s : n.op().attrSpecs().values()) if (s.dflt() != null) m.put(s.name(), s.dflt());
    m.putAll(n.attrs());
    return m;
  }

  private static Node find(List<Map<Key, Node>> scopes, Key k) {
    for (int i = scopes.size() - 1; i >= 0; i--) {
      Node n = scopes.get(i).get(k);
      if (n != null) return n;
    }
    return null;
  }
}
