package dev.kiln.passes.fuse;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces a set of nodes of one block by one {@code fused} node holding copies of them.
 *
 * <p>The group's inputs are the values its members use but do not define, in order of first use; its outputs are
 * the member results used outside the group. The fused node takes the place of the last member: every input is
 * defined before that point (each is defined before the member using it), and {@link #collapse} refuses a group
 * whose outputs are used before it. Literal constants ({@code const {value=...}}) used by members are copied into
 * the block instead of becoming inputs, so the block is self-contained for lowering.
 */
final class FusionGroup {
  private FusionGroup() {}

  /**
   * @param members nodes of one block, none holding blocks, at least one; any order (sorted here)
   * @param kind the {@code kind} attribute of the fused node
   * @return the fused node, or null (graph unchanged) when an output is used before the last member
   */
  static Node collapse(List<Node> members, String kind) {
    Block block = members.get(0).block();
    List<Node> nodes = new ArrayList<>(members);
    nodes.sort(Comparator.comparingInt(block::indexOf));
    Set<Node> in = Collections.newSetFromMap(new LinkedHashMap<>());
    in.addAll(nodes);
    Node last = nodes.get(nodes.size() - 1);
    int lastIndex = block.indexOf(last);

    Set<Value> inputs = new LinkedHashSet<>();
    List<Node> literals = new ArrayList<>();
    for (Node n : nodes)
      for (Value v : n.operands()) {
        Node d = v.definingNode();
        if (d != null && in.contains(d)) continue;
        if (isLiteral(d)) { if (!literals.contains(d)) literals.add(d); }
        else inputs.add(v);
      }
    List<Value> outputs = new ArrayList<>();
    for (Node n : nodes)
      for (Value r : n.results())
        for (Value.Use u : r.uses()) {
          Node user = topLevel(u.user(), block);
          if (user != null && in.contains(user)) continue;
          if (user == null || block.indexOf(user) < lastIndex) return null;
          if (!outputs.contains(r)) outputs.add(r);
        }

    Node fused = Node.create(FusedOps.FUSED, List.copyOf(inputs), Map.of("kind", Attr.of(kind)),
        outputs.stream().map(Value::type).toList(), 1);
    Block body = fused.block(0);
    Map<Value, Value> map = new LinkedHashMap<>();
    for (Value v : inputs) map.put(v, body.addArg(v.type(), v.name()));
    for (Node c : literals) copyInto(body, c, map);
    for (Node n : nodes) copyInto(body, n, map);
    body.append(Node.create(ControlOps.YIELD, outputs.stream().map(map::get).toList(), Map.of(), List.of(), 0));
    block.insertBefore(last, fused);
    for (int i = 0; i < outputs.size(); i++) {
      fused.result(i).setName(outputs.get(i).name());
      outputs.get(i).replaceAllUsesWith(fused.result(i));
    }
    for (Node n : nodes.reversed()) n.erase();
    for (Node c : literals) if (c.results().stream().noneMatch(Value::hasUses)) c.erase();
    return fused;
  }

  private static void copyInto(Block body, Node n, Map<Value, Value> map) {
    List<Value> ops = n.operands().stream().map(map::get).toList();
    List<Type> types = n.results().stream().map(Value::type).toList();
    Node c = Node.create(n.op(), ops, n.attrs(), types, 0);
    body.append(c);
    for (int i = 0; i < types.size(); i++) {
      c.result(i).setName(n.result(i).name());
      map.put(n.result(i), c.result(i));
    }
  }

  /** A {@code const} holding a literal (not a named weight): cheap to copy into a block. */
  static boolean isLiteral(Node d) { return d != null && d.op() == ControlOps.CONST && d.hasAttr("value"); }

  /** The node of {@code block} that is or contains {@code n}, or null if {@code n} is not inside {@code block}. */
  static Node topLevel(Node n, Block block) {
    while (n != null && n.block() != block) n = n.block() == null ? null : n.block().parent();
    return n;
  }
}
