package dev.kiln.passes.rewrite;

import dev.kiln.ir.Block;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Copies nodes with their nested blocks, renaming values through a map. Used to move code between blocks (inlining
 * an {@code if}), since a node cannot change blocks without being rebuilt.
 */
public final class IrCloner {
  private IrCloner() {}

  /**
   * A detached copy of {@code n}: operands are looked up in {@code map} (values not in it are used as they are),
   * nested blocks are copied, and every result or block argument defined by the copy is added to {@code map}. Value
   * names are kept, so erase the original before printing.
   */
  public static Node clone(Node n, Map<Value, Value> map) {
    List<Value> ops = new ArrayList<>();
    for (Value v : n.operands()) ops.add(map.getOrDefault(v, v));
    Node copy = Node.create(n.op(), ops, n.attrs(), n.results().stream().map(Value::type).toList(), 0);
    for (int i = 0; i < n.results().size(); i++) {
      copy.result(i).setName(n.result(i).name());
      map.put(n.result(i), copy.result(i));
    }
    for (Block b : n.blocks()) {
      Block nb = new Block();
      copy.addBlock(nb);
      for (Value a : b.args()) map.put(a, nb.addArg(a.type(), a.name()));
      for (Node m : b.nodes()) nb.append(clone(m, map));
    }
    return copy;
  }
}
