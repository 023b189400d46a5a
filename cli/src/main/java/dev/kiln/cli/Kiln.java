package dev.kiln.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code kiln} command. Exit status: 0 on success, 1 on any error, with one line {@code kiln: <message>} on
 * stderr (the full stack trace only with {@code --debug}).
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT, versionProvider = Kiln.Version.class,
    description = "Kiln: ahead-of-time compiler for neural networks.",
    subcommands = {InspectCommand.class, RunCommand.class, OptCommand.class, OpsCommand.class, PassesCommand.class,
        CompileCommand.class,
        BenchCommand.class,
        QuantizeReportCommand.class,
        CommandLine.HelpCommand.class})
public final class Kiln implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
  boolean debug;

  @Override public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    spec.commandLine().getErr().println("kiln: missing command");
    return 1;
  }

  public static void main(String[] args) { System.exit(commandLine().execute(args)); }

  /** A configured command line; tests call {@code setOut}/{@code setErr} on it before {@code execute}. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Kiln());
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      if (debugRequested(parsed)) ex.printStackTrace(err);
      err.println("kiln: " + Errors.describe(ex));
      err.flush();
      return 1;
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      PrintWriter err = ex.getCommandLine().getErr();
      err.println("kiln: " + ex.getMessage() + " (see 'kiln " + subcommandPath(ex.getCommandLine()) + "--help')");
      err.flush();
      return 1;
    });
    return cl;
  }

  private static boolean debugRequested(ParseResult pr) {
    for (ParseResult p = pr; p != null; p = p.subcommand()) if (p.hasMatchedOption("--debug")) return true;
    return false;
  }

  private static String subcommandPath(CommandLine cl) {
    String path = cl.getCommandSpec().qualifiedName(" ");
    return path.equals("kiln") ? "" : path.substring("kiln ".length()) + " ";
  }

  /** The version from the jar manifest ({@code Implementation-Version}), or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override public String[] getVersion() {
      String v = Kiln.class.getPackage().getImplementationVersion();
      return new String[] {"kiln " + (v != null ? v : "dev") + " (Java " + Runtime.version() + ")"};
    }
  }
}
