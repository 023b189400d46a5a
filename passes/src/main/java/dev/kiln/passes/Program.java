package dev.kiln.passes;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A graph with the weight table its {@code const {name=...}} nodes read. Passes that rewrite weights (fold-bn) or
 * read them (fold) take a program; the others only look at the graph.
 *
 * @param graph the graph, not null
 * @param weights weight name to tensor, not null and mutable: passes may add entries (they never change a tensor in
 *     place, since other graphs may share it); names missing from it are simply unknown to the passes
 */
public record Program(Graph graph, Map<String, Tensor> weights) {
  public Program {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(weights, "weights");
  }

  /** A program with an empty, mutable weight table (for graphs whose constants are all literals). */
  public static Program of(Graph graph) { return new Program(graph, new HashMap<>()); }

  /** A program over a mutable copy of {@code weights}, so that passes do not change the caller's map. */
  public static Program of(Graph graph, Map<String, Tensor> weights) { return new Program(graph, new HashMap<>(weights)); }

  /** The same weights with another graph (a pass that returned a new graph). */
  public Program withGraph(Graph g) { return g == graph ? this : new Program(g, weights); }
}
