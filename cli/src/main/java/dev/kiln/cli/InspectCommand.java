package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.GraphStats;
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

/** {@code kiln inspect MODEL}: load (.kir, .pt, .py), verify and print the IR (and optionally counts of its nodes). */
@Command(name = "inspect", description = "Load and verify a model (.kir, .pt, .py) and print its Graph IR (or, with --stats, its size figures).")
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "Graph IR text (.kir), TorchScript archive (.pt) or source (.py).")
  Path file;

  @picocli.CommandLine.Mixin ModelLoader.Options model = new ModelLoader.Options();

  @Option(names = {"-i", "--input"}, paramLabel = "X.npy", description = "For .pt/.py: example inputs giving the input types (or use --input-type).")
  List<Path> inputs = new java.util.ArrayList<>();

  @Option(names = "--stats", description = "Print node counts per op, parameter bytes and peak activation bytes instead of the IR.")
  boolean stats;

  @Override public Integer call() throws Exception {
    List<Graph> graphs = file.getFileName().toString().endsWith(".kir") && model.graphName == null
        ? IrFiles.readVerified(file) : List.of(ModelLoader.load(file, model, inputs).graph());
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
    GraphStats s = GraphStats.of(g);
    out.printf("  parameters: %d bytes in named weights, %d bytes in literal tensors%n", s.weightBytes(), s.literalBytes());
    if (s.peakActivationBytes() >= 0) out.printf("  peak activations: %d bytes live at once (static shapes)%n", s.peakActivationBytes());
    else out.printf("  peak activations: unknown, shapes are not static (%s); bind symbols first, e.g. 'kiln optimize -p specialize=N:1,fold,shapes'%n",
        String.join(", ", s.nonStatic().stream().map(v -> v.toString()).toList()));
  }
}
