package dev.kiln.cli;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads {@code .kir} files for the commands. */
final class IrFiles {
  private IrFiles() {}

  /**
   * Parses every graph in {@code file} and verifies each; errors name the file as given on the command line.
   *
   * @throws IOException if the file cannot be read
   * @throws dev.kiln.ir.text.ParseException with file:line:col for bad text
   * @throws dev.kiln.ir.VerifyException listing what is wrong
   */
  static List<Graph> readVerified(Path file) throws IOException {
    List<Graph> graphs = IrParser.parseModule(Files.readString(file), file.toString());
    if (graphs.isEmpty()) throw new CliException(file + ": no graph in file");
    for (Graph g : graphs) Verifier.verify(g);
    return graphs;
  }

  /** The graph named {@code name} (without '@'), or the first one when {@code name} is null. */
  static Graph select(List<Graph> graphs, String name, Path file) {
    if (name == null) return graphs.get(0);
    String want = name.startsWith("@") ? name.substring(1) : name;
    for (Graph g : graphs) if (g.name().equals(want)) return g;
    throw new CliException(file + ": no graph @" + want + " (it has " + graphs.stream().map(g -> "@" + g.name()).toList() + ")");
  }
}
