package dev.kiln.frontend.trace;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;

/**
 * What {@link Tracer#trace} recorded: a verified graph, the weights its {@code const {name=...}} nodes name, and the
 * guards (value reads) found while tracing, in the order they happened; each guard is also an {@code assert} in the
 * graph.
 */
public record TracedModel(Graph graph, Map<String, Tensor> weights, List<Guard> guards) {
  public TracedModel {
    weights = Map.copyOf(weights);
    guards = List.copyOf(guards);
  }

  /** The graph as IR text. */
  public String ir() { return IrPrinter.print(graph); }

  /** A reference interpreter over the graph and weights (thread-safe; build it once and reuse it). */
  public Interpreter interpreter() { return new Interpreter(graph, weights); }

  /** Runs the graph once on tensors; see {@link Interpreter#run}. */
  public List<Object> run(Tensor... inputs) { return interpreter().run(List.of((Object[]) inputs)); }

  /** One line per guard, or {@code no guards}. */
  public String guardReport() {
    if (guards.isEmpty()) return "no guards";
    StringBuilder sb = new StringBuilder();
    for (Guard g : guards) sb.append(g.message()).append('\n');
    return sb.toString().stripTrailing();
  }
}
