package dev.kiln.ir.text;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * Writes graphs in the canonical text form of docs/ir.md, which {@link IrParser} reads back to text-identical
 * graphs. Values print with their own names where set (renamed with a {@code .1} suffix when a graph repeats a
 * name), unnamed values get numbers that no name in the graph uses. Attributes print in the node's map order.
 * Printing never changes the graph.
 */
public final class IrPrinter {
  private final StringBuilder out = new StringBuilder();
  private final ValueNamer names;

  private IrPrinter(ValueNamer names) { this.names = names; }

  /**
   * The text of one graph, ending with a newline after its closing '}'.
   *
   * @param g a graph, not null; it need not be verified (a body without {@code return} prints {@code -> ()})
   */
  public static String print(Graph g) {
    IrPrinter p = new IrPrinter(ValueNamer.of(g));
    p.graph(g);
    return p.out.toString();
  }

  /** The text of several graphs in order, separated by one blank line; empty for an empty list. */
  public static String print(List<Graph> gs) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < gs.size(); i++) {
      if (i > 0) sb.append('\n');
      sb.append(print(gs.get(i)));
    }
    return sb.toString();
  }

  private void graph(Graph g) {
    out.append("graph @").append(g.name()).append('(');
    params(g.params());
    out.append(") -> (");
    Node ret = g.body().terminator();
    if (ret != null && ret.op().name().equals("return")) {
      List<Value> results = ret.operands();
      for (int i = 0; i < results.size(); i++) {
        if (i > 0) out.append(", ");
        out.append(results.get(i).type().text());
      }
    }
    out.append(") {\n");
    nodes(g.body(), 1);
    out.append("}\n");
  }

  private void params(List<Value> vs) {
    for (int i = 0; i < vs.size(); i++) {
      if (i > 0) out.append(", ");
      out.append('%').append(names.name(vs.get(i))).append(": ").append(vs.get(i).type().text());
    }
  }

  private void nodes(Block b, int depth) {
    for (Node n : b.nodes()) node(n, depth);
  }

  private void node(Node n, int depth) {
    indent(depth);
    List<Value> results = n.results();
    if (!results.isEmpty()) {
      values(results);
      out.append(" = ");
    }
    out.append(n.op().name());
    // docs/ir.md writes operand-less ops bare (`const {name="w"}`); ops that take operands keep `()` even when
    // none are given (`return()`), so the count stays visible.
    if (!n.operands().isEmpty() || n.op().maxOperands() > 0) {
      out.append('(');
      values(n.operands());
      out.append(')');
    }
    attrs(n.attrs());
    types(results);
    for (int i = 0; i < n.blocks().size(); i++) {
      out.append(" {\n");
      Block inner = n.block(i);
      if (!inner.args().isEmpty()) {
        indent(depth);
        out.append("^(");
        params(inner.args());
        out.append("):\n");
      }
      nodes(inner, depth + 1);
      indent(depth);
      out.append('}');
    }
    out.append('\n');
  }

  private void values(List<Value> vs) {
    for (int i = 0; i < vs.size(); i++) {
      if (i > 0) out.append(", ");
      out.append('%').append(names.name(vs.get(i)));
    }
  }

  private void attrs(Map<String, Attr> attrs) {
    if (attrs.isEmpty()) return;
    out.append(" {");
    boolean first = true;
    for (Map.Entry<String, Attr> e : attrs.entrySet()) {
      if (!first) out.append(", ");
      first = false;
      out.append(e.getKey()).append('=').append(e.getValue().text());
    }
    out.append('}');
  }

  private void types(List<Value> results) {
    if (results.isEmpty()) return;
    out.append(" : ");
    if (results.size() == 1) {
      out.append(results.get(0).type().text());
      return;
    }
    out.append('(');
    for (int i = 0; i < results.size(); i++) {
      if (i > 0) out.append(", ");
      Type t = results.get(i).type();
      out.append(t.text());
    }
    out.append(')');
  }

  private void indent(int depth) { out.append("  ".repeat(depth)); }
}
