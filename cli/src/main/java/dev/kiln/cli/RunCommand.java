package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln run MODEL --input X.npy ... [--backend interp|jvm]}: runs a model (.kir, .pt, .py) with the reference
 * interpreter (after the pipeline given by -O/-p, none by default) or, with {@code --backend jvm}, compiled in memory
 * by the JVM backend ({@link JvmRunner}). A {@code .kiln} artifact runs through {@link ArtifactRunner} whatever the
 * backend option says, since the artifact names its own. Outputs are written with {@code --output}, one file per
 * graph result, or else described on stdout.
 */
@Command(name = "run", description = "Run a model (.kir, .pt TorchScript archive, .py TorchScript source) or a .kiln artifact on .npy inputs.")
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL", description = "Graph IR text (.kir), TorchScript archive (.pt) or source (.py).")
  Path file;

  @Option(names = {"-i", "--input"}, paramLabel = "X.npy", description = "One per graph parameter, in order.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = {"-o", "--output"}, paramLabel = "Y.npy",
      description = "Write results here, one per graph result, in order; without it results are printed.")
  List<Path> outputs = new ArrayList<>();

  @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "interp",
      description = "interp (the reference interpreter; no passes unless -O/-p), jvm or llvm (specialized to the inputs' shapes, -O1 unless "
          + "-O/-p, compiled in memory to bytecode or, through LLVM's JIT, to native code); default: ${DEFAULT-VALUE}. Ignored for .kiln files.")
  String backend;

  @Option(names = "--kernel-threads", paramLabel = "N",
      description = "Threads each call's kernels run on (jvm and llvm backends, .kiln files too; default: the cores).")
  Integer kernelThreads;

  @picocli.CommandLine.Mixin ModelLoader.Options model = new ModelLoader.Options();

  @picocli.CommandLine.Mixin OptLevelOptions optimize = new OptLevelOptions();

  @picocli.CommandLine.Mixin QuantOptions quant = new QuantOptions();

  @Override public Integer call() throws IOException {
    if (kernelThreads != null) {
      if (kernelThreads < 1) throw new CliException("--kernel-threads must be at least 1, got " + kernelThreads);
      dev.kiln.runtime.kernels.Threads.setThreads(kernelThreads);
    }
    if (!List.of("interp", "jvm", "llvm").contains(backend)) throw new CliException("--backend " + backend + ": expected interp, jvm or llvm");
    if (ArtifactRunner.handles(file)) return ArtifactRunner.run(file, inputs, outputs, spec.commandLine().getOut());
    ModelLoader.Loaded m = ModelLoader.load(file, model, inputs);
    Graph g = m.graph();
    int numResults = g.results().size();
    if (!outputs.isEmpty() && outputs.size() != numResults)
      throw new CliException("graph @" + g.name() + " has " + numResults + " result" + (numResults == 1 ? "" : "s")
          + ", got " + outputs.size() + " --output");
    List<Object> args = InputBinder.bind(g, inputs);
    List<Object> results;
    if (quant.given() && !backend.equals("interp")) throw new CliException("--quantize runs on the interp backend; for " + backend + ", kiln compile it first");
    if (backend.equals("jvm") || backend.equals("llvm")) {
      results = JvmRunner.run(m, args, optimize, backend);
    } else {
      dev.kiln.passes.Program p = QuantOptions.manager(quant.pipelineNoBudget(optimize.pipeline(""), "run"))
          .run(dev.kiln.passes.Program.of(g, m.weights()));
      results = new Interpreter(p.graph(), p.weights()).run(args);
    }

    PrintWriter out = spec.commandLine().getOut();
    if (outputs.isEmpty()) {
      for (int i = 0; i < results.size(); i++) for (String line : ValueFormatter.describe("output " + i, results.get(i))) out.println(line);
    } else {
      for (int i = 0; i < results.size(); i++) {
        Npy.write(outputs.get(i), asTensor(results.get(i), i));
        out.println("wrote output " + i + " to " + outputs.get(i));
      }
    }
    out.flush();
    return 0;
  }

  /** Numbers become zero-dim tensors (as TorchScript's NumToTensor); other kinds have no .npy form. */
  private static Tensor asTensor(Object v, int i) {
    return switch (v) {
      case Tensor t -> t;
      case Long l -> Tensor.fromLongs(new long[] {l});
      case Double d -> Tensor.fromDoubles(new double[] {d});
      case Boolean b -> Tensor.fromBools(new boolean[] {b});
      case null -> throw new CliException("output " + i + " is none; only tensors and numbers can be written to .npy");
      default -> throw new CliException("output " + i + " is a " + v.getClass().getSimpleName().toLowerCase()
          + "; only tensors and numbers can be written to .npy");
    };
  }
}
