package dev.kiln.cli;

import dev.kiln.passes.Pass;
import dev.kiln.passes.Passes;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kiln passes}: the passes a pipeline may name, with their summaries. */
@Command(name = "passes", description = "List the passes a pipeline (-p) may name.")
final class PassesCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    int width = Passes.names().stream().mapToInt(String::length).max().orElse(0);
    for (Pass p : Passes.all()) out.printf("%-" + width + "s  %s%n", p.name(), p.summary());
    out.flush();
    return 0;
  }
}
