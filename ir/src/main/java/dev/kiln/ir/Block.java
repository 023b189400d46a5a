package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A list of nodes with its own arguments. The last node is its terminator ({@code return} in a graph body,
 * {@code yield} in the blocks of {@code if} and {@code loop}).
 */
public final class Block {
  private final List<Value> args = new ArrayList<>();
  private final List<Node> nodes = new ArrayList<>();
  Node parent;
  Graph graph;

  public List<Value> args() { return Collections.unmodifiableList(args); }

  public Value arg(int i) { return args.get(i); }

  public Value addArg(Type type, String name) {
    Value v = new Value(type, name, null, this, args.size());
    args.add(v);
    return v;
  }

  /** Nodes in order; read-only (use {@link #append}, {@link #insertBefore}, {@link Node#erase}). */
  public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

  /** The node holding this block, or null for a graph's body. */
  public Node parent() { return parent; }

  /** The graph this block belongs to, found through parents; null while detached. */
  public Graph graph() {
    if (graph != null) return graph;
    return parent != null && parent.block() != null ? parent.block().graph() : null;
  }

  /** The last node if it is a terminator, else null. */
  public Node terminator() {
    if (nodes.isEmpty()) return null;
    Node last = nodes.get(nodes.size() - 1);
    return last.op().hasTrait(OpDef.Trait.TERMINATOR) ? last : null;
  }

  public Node append(Node n) {
    attach(n);
    nodes.add(n);
    return n;
  }

  public Node insertBefore(Node anchor, Node n) {
    int i = indexOf(anchor);
    attach(n);
    nodes.add(i, n);
    return n;
  }

  public int indexOf(Node n) {
    int i = nodes.indexOf(n);
    if (i < 0) throw new IrException(n.op().name() + " is not in this block");
    return i;
  }

  private void attach(Node n) {
    if (n.block != null) throw new IrException(n.op().name() + " is already in a block");
    n.block = this;
  }

  void remove(Node n) {
    nodes.remove(indexOf(n));
    n.block = null;
  }
}
