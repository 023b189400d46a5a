package dev.kiln.runtime.artifact;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.runtime.artifact.Manifest.Port;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The names and types of a graph's inputs and outputs as the manifest lists them. The writer and the loader both
 * derive them here from graph.kir, so the loader can check that the manifest describes the graph it ships with.
 * A value's own name is used when it has one not taken yet; otherwise {@code input<i>} or {@code output<i>}.
 */
public final class Ports {
  private Ports() {}

  public static List<Port> inputs(Graph g) { return ports(g.params(), "input"); }

  public static List<Port> outputs(Graph g) { return ports(g.results(), "output"); }

  private static List<Port> ports(List<Value> values, String fallback) {
    List<Port> out = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (int i = 0; i < values.size(); i++) {
      Value v = values.get(i);
      String name = v.name();
      if (name == null || name.isEmpty() || !taken.add(name)) {
        name = fallback + i;
        while (!taken.add(name)) name = "_" + name;
      }
      out.add(new Port(name, v.type().text()));
    }
    return out;
  }
}
