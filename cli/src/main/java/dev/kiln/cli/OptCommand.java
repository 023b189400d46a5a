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
 * {@code kiln optimize MODEL [-O0|-O1|-O2 | -p PIPELINE]}: runs passes on every graph of a {@code .kir} file (or on
 * the graph imported from a {@code .pt}/{@code .py} TorchScript model), prints (or writes) the result and reports
 * each pass's time, node counts and figures ({@link PassRun#figures}). {@code opt} is an alias. Weights of a
 * {@code .kir} come from {@code --weights DIR} or {@code MODEL.weights/} beside the file when present; with
 * {@code -o}, the weights the result names are written to {@code OUT.weights/} (passes such as fold-bn make new ones).
 * {@code --repeat N} loads and optimizes N times and reports the last run, for compile times on a warm JVM.
 */
@Command(name = "optimize", aliases = "opt",
    description = "Run a pass pipeline (default -O1) on a model (.kir, .pt, .py) and print the resulting IR; per-pass report on stderr.")
final class OptCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "Graph IR text (.kir), TorchScript archive (.pt) or source (.py).")
  Path file;

  @Mixin OptLevelOptions optimize = new OptLevelOptions();

  @Mixin ModelLoader.Options model = new ModelLoader.Options();

  @Mixin QuantOptions quant = new QuantOptions();

  @Option(names = {"-i", "--input"}, paramLabel = "X.npy", description = "For .pt/.py without --input-type: input files whose shapes type the graph.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--print-after-all", description = "Print the IR after every pass.")
  boolean printAfterAll;

  @Option(names = "--print-after", paramLabel = "PASS", split = ",", description = "Print the IR after these passes (comma-separated names).")
  List<String> printAfter = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.kir", description = "Write the result here (and its weights to OUT.weights/) instead of stdout.")
  Path output;

  @Option(names = {"-q", "--quiet"}, description = "Do not report per-pass time, node counts and figures.")
  boolean quiet;

  @Option(names = "--repeat", paramLabel = "N",
      description = "Load and optimize N times (a fresh load each time, so later runs find the JVM warm); report the last run (default 1).")
  int repeat = 1;

  @Override public Integer call() throws Exception {
    if (repeat < 1) throw new CliException("--repeat " + repeat + ": must be at least 1");
    PassManager pm = QuantOptions.manager(quant.pipelineNoBudget(optimize.pipeline(dev.kiln.passes.Pipelines.level(1)), "optimize"));
    PrintWriter out = spec.commandLine().getOut();
    // With the IR on stdout the report goes to stderr, so that stdout stays parseable IR.
    PrintWriter report = output == null ? spec.commandLine().getErr() : out;
    List<PassRun> runs = new ArrayList<>();
    pm.onPassRun(runs::add);
    List<Graph> result = new ArrayList<>();
    List<String> headers = new ArrayList<>();
    Map<String, Tensor> allWeights = new java.util.HashMap<>();
    for (int round = 1; round <= repeat; round++) {
      // IR printing only in the last round, so that --repeat prints what one run would.
      if (round == repeat) printing(pm, out);
      runs.clear();
      result.clear();
      headers.clear();
      allWeights.clear();
      long load0 = System.nanoTime();
      List<Program> programs = load();
      double loadMs = (System.nanoTime() - load0) / 1e6;
      for (Program p0 : programs) {
        int before = p0.graph().allNodes().size();
        long t0 = System.nanoTime();
        Program p = dev.kiln.passes.quant.calib.Calibrator.withProgress(
            quant.given() ? new ProgressBar(spec.commandLine().getErr(), "calibrating") : dev.kiln.passes.quant.calib.Calibrator.Progress.NONE,
            () -> pm.run(p0));
        double ms = (System.nanoTime() - t0) / 1e6;
        result.add(p.graph());
        allWeights.putAll(p.weights());
        headers.add(String.format("// @%s: %d -> %d nodes with %s in %.1f ms (verification included; load %.1f ms)%s",
            p.graph().name(), before, p.graph().allNodes().size(), pm, ms, loadMs, repeat > 1 ? ", run " + round + " of " + repeat : ""));
      }
    }
    if (!quiet) {
      for (String h : headers) report.println(h);
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

  private void printing(PassManager pm, PrintWriter out) {
    if (printAfterAll) pm.printAfterEach((p, text) -> out.printf("// ----- after %s%n%s%n", p.name(), text));
    else if (!printAfter.isEmpty()) pm.printAfter(Set.copyOf(printAfter), (p, text) -> out.printf("// ----- after %s%n%s%n", p.name(), text));
  }

  /** Every graph of a .kir file (or the one --graph names) with its weights, or the one graph of a TorchScript model. */
  private List<Program> load() throws java.io.IOException {
    if (!file.getFileName().toString().endsWith(".kir")) {
      ModelLoader.Loaded m = ModelLoader.load(file, model, inputs);
      return List.of(Program.of(m.graph(), m.weights()));
    }
    List<Graph> graphs = IrFiles.readVerified(file);
    if (model.graphName != null) graphs = List.of(IrFiles.select(graphs, model.graphName, file));
    List<Program> out = new ArrayList<>();
    for (Graph g : graphs) out.add(Program.of(g, loadWeights(g)));
    return out;
  }

  /** The weights named by {@code g}, or none when neither --weights nor the default folder is there. */
  private Map<String, Tensor> loadWeights(Graph g) throws java.io.IOException {
    if (model.weights == null && !Files.isDirectory(WeightLoader.defaultDir(file))) return Map.of();
    return WeightLoader.load(g, file, model.weights);
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
