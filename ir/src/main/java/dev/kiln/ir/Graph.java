package dev.kiln.ir;

import java.util.List;

/**
 * A function: typed parameters (the body's arguments), a body block, and results (the operands of the body's
 * {@code return}). Weights are {@code const} nodes naming an entry of the weight table kept beside the graph.
 */
public final class Graph {
  private String name;
  private final Block body = new Block();

  public Graph(String name) {
    this.name = name;
    body.graph = this;
  }

  public String name() { return name; }

  public void setName(String name) { this.name = name; }

  public Block body() { return body; }

  public List<Value> params() { return body.args(); }

  public Value addParam(Type type, String name) { return body.addArg(type, name); }

  /** The {@code return} node; throws if the body does not end with one. */
  public Node returnNode() {
    Node t = body.terminator();
    if (t == null || !t.op().name().equals("return")) throw new IrException("graph @" + name + " does not end with return");
    return t;
  }

  public List<Value> results() { return returnNode().operands(); }

  /** Every node, nested blocks included, in program order (pre-order). */
  public List<Node> allNodes() {
    java.util.ArrayList<Node> out = new java.util.ArrayList<>();
    collect(body, out);
    return out;
  }

  private static void collect(Block b, List<Node> out) {
    for (Node n : b.nodes()) {
      out.add(n);
      for (Block inner : n.blocks()) collect(inner, out);
    }
  }
}
