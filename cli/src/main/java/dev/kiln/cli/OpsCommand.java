package dev.kiln.cli;

import dev.kiln.ir.OpDef;
import dev.kiln.ir.ops.Ops;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kiln ops [FILTER]}: every op with its one-line summary, from the op registry. */
@Command(name = "ops", description = "List every op with its summary and an example.")
final class OpsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", arity = "0..1", paramLabel = "FILTER", description = "Only ops whose name contains FILTER.")
  String filter;

  @Override public Integer call() {
    List<OpDef> ops = Ops.all().stream().filter(op -> filter == null || op.name().contains(filter)).toList();
    if (ops.isEmpty()) throw new CliException("no op name contains '" + filter + "' (see 'kiln ops')");
    int width = ops.stream().mapToInt(op -> op.name().length()).max().orElse(0);
    PrintWriter out = spec.commandLine().getOut();
    for (OpDef op : ops) out.printf("%-" + width + "s  %s%n", op.name(), op.summary());
    out.flush();
    return 0;
  }
}
