package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln opt FILE.kir -p PIPELINE}: run passes on every graph of a file and print (or write) the result. */
@Command(name = "opt", description = "Run a pass pipeline on a .kir file and print the resulting IR.")
final class OptCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE.kir", description = "Graph IR text file.")
  Path file;

  @Option(names = {"-p", "--passes"}, paramLabel = "PIPELINE", required = true,
      description = "Comma-separated pass names, e.g. dce,verify (see 'kiln passes').")
  String pipeline;

  @Option(names = "--print-after-all", description = "Print the IR after every pass.")
  boolean printAfterAll;

  @Option(names = {"-o", "--output"}, paramLabel = "OUT.kir", description = "Write the result here instead of stdout.")
  Path output;

  @Override public Integer call() throws Exception {
    PassManager pm = PassManager.parse(pipeline);
    PrintWriter out = spec.commandLine().getOut();
    if (printAfterAll) pm.printAfterEach((p, text) -> out.printf("// ----- after %s%n%s%n", p.name(), text));
    List<Graph> result = new ArrayList<>();
    for (Graph g : IrFiles.readVerified(file)) result.add(pm.run(g));
    String text = IrPrinter.print(result);
    if (output != null) Files.writeString(output, InspectCommand.withNewline(text));
    else out.print(InspectCommand.withNewline(text));
    out.flush();
    return 0;
  }
}
