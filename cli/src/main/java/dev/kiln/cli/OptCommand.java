package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln optimize MODEL.kir [-O0|-O1|-O2 | -p PIPELINE]}: runs passes on every graph of a file, prints (or
 * writes) the result and reports each pass's time and node counts. {@code opt} is an alias. Weights come from
 * {@code --weights DIR} or {@code MODEL.weights/} beside the file when present; with {@code -o}, the weights the
 * result names are written to {@code OUT.weights/} (passes such as fold-bn make new ones).
 */
@Command(name = "optimize", aliases = "opt", description = "Run a pass pipeline (default -O1) on a .kir file and print the resulting IR.")
final class OptCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.kir", description = "Graph IR text file.")
  Path file;

  @Mixin OptLevelOptions optimize = new OptLevelOptions();

  @Option(names = "--print-after-all", description = "Print the IR after every pass.")
  boolean printAfterAll;

  @Option(names = "--print-after", paramLabel = "PASS", split = ",", description = "Print the IR after these passes (comma-separated names).")
  List<String> printAfter = new ArrayList<>();

  @Option(names = "--weights", paramLabel = "DIR", description = "Folder of <name>.npy weights; default: MODEL.weights/ beside the file if present.")
  Path weights;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.kir", description = "Write the result here (and its weights to OUT.weights/) instead of stdout.")
  Path output;

  @Option(names = {"-q", "--quiet"}, description = "Do not report per-pass time and node counts.")
  boolean quiet;

  @Override public Integer call() throws Exception {
    PassManager pm = optimize.manager(dev.kiln.passes.Pipelines.level(1));
    PrintWriter out = spec.commandLine().getOut();
    // With the IR on stdout the report goes to stderr, so that stdout stays parseable IR.
    PrintWriter report = output == null ? spec.commandLine().getErr() : out;
    if (printAfterAll) pm.printAfterEach((p, text) -> out.printf("// ----- after %s%n%s%n", p.name(), text));
    else if (!printAfter.isEmpty()) pm.printAfter(Set.copyOf(printAfter), (p, text) -> out.printf("// ----- after %s%n%s%n", p.name(), text));
    List<PassRun> runs = new ArrayList<>();
    pm.onPassRun(runs::add);
    List<Graph> result = new ArrayList<>();
    Map<String, Tensor> allWeights = new java.util.HashMap<>();
    for (Graph g : IrFiles.readVerified(file)) {
      int before = g.allNodes().size();
      Program p = pm.run(Program.of(g, loadWeights(g)));
      result.add(p.graph());
      allWeights.putAll(p.weights());
      if (!quiet) report.printf("// @%s: %d -> %d nodes with %s%n", g.name(), before, p.graph().allNodes().size(), pm);
    }
    if (!quiet) {
      int width = runs.stream().mapToInt(r -> r.pass().length()).max().orElse(0);
      for (PassRun r : runs) report.println("//   " + r.line(width));
    }
    String text = InspectCommand.withNewline(IrPrinter.print(result));
    if (output != null) {
      Files.writeString(output, text);
      int n = writeWeights(result, allWeights);
      out.println("wrote " + output + (n > 0 ? " and " + n + " weights to " + WeightLoader.defaultDir(output) : ""));
    } else {
      out.print(text);
    }
    out.flush();
    report.flush();
    return 0;
  }

  /** The weights named by {@code g}, or none when neither --weights nor the default folder is there. */
  private Map<String, Tensor> loadWeights(Graph g) throws java.io.IOException {
    if (weights == null && !Files.isDirectory(WeightLoader.defaultDir(file))) return Map.of();
    return WeightLoader.load(g, file, weights);
  }

  /** Writes every weight the result names and the table holds to OUT.weights/; returns how many. */
  private int writeWeights(List<Graph> graphs, Map<String, Tensor> table) throws java.io.IOException {
    Set<String> names = new HashSet<>();
    for (Graph g : graphs)
      for (Node n : g.allNodes()) if (n.op().name().equals("const") && !n.attrIsNone("name") && table.containsKey(n.attrStr("name"))) names.add(n.attrStr("name"));
    if (names.isEmpty()) return 0;
    Path dir = WeightLoader.defaultDir(output);
    Files.createDirectories(dir);
    for (String name : names.stream().sorted().toList()) Npy.write(dir.resolve(name + ".npy"), table.get(name));
    return names.size();
  }

}
