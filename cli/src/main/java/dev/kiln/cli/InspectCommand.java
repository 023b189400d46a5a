package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.text.IrPrinter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln inspect FILE.kir}: parse, verify and print the IR (and optionally counts of its nodes). */
@Command(name = "inspect", description = "Parse and verify a .kir file and print its IR.")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.kir", description = "Graph IR text file.")
  Path file;

  @Option(names = "--stats", description = "Print node counts per op instead of the IR.")
  boolean stats;

  @Override public Integer call() throws Exception {
    List<Graph> graphs = IrFiles.readVerified(file);
    PrintWriter out = spec.commandLine().getOut();
    if (!stats) out.print(withNewline(IrPrinter.print(graphs)));
    else for (Graph g : graphs) printStats(g, out);
    out.flush();
    return 0;
  }

  static String withNewline(String text) { return text.endsWith("\n") ? text : text + "\n"; }

  static void printStats(Graph g, PrintWriter out) {
    List<Node> nodes = g.allNodes();
    Map<String, Integer> byOp = new TreeMap<>();
    int weights = 0;
    for (Node n : nodes) {
      byOp.merge(n.op().name(), 1, Integer::sum);
      if (n.op().name().equals("const") && !n.attrIsNone("name")) weights++;
    }
    out.printf("graph @%s: %d params, %d results, %d nodes, %d named weights%n", g.name(), g.params().size(),
        g.results().size(), nodes.size(), weights);
    for (var e : byOp.entrySet()) out.printf("  %-24s %d%n", e.getKey(), e.getValue());
  }
}
