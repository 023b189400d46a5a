package dev.kiln.runtime.artifact;

import dev.kiln.runtime.KilnRuntimeException;
import java.util.List;

/**
 * A {@code .kiln} file that cannot be loaded: the message names the file (and entry, such as
 * {@code model.kiln!manifest.json}) and every problem found, one per line after the first, so that one attempt
 * shows all that does not fit.
 */
public final class ArtifactException extends KilnRuntimeException {
  private final List<String> problems;

  /** @param where the file or entry, e.g. {@code model.kiln!manifest.json}; @param problems at least one */
  public ArtifactException(String where, List<String> problems) {
    super(message(where, problems));
    this.problems = List.copyOf(problems);
  }

  public ArtifactException(String where, String problem) { this(where, List.of(problem)); }

  public ArtifactException(String where, String problem, Throwable cause) {
    super(where + ": " + problem, cause);
    this.problems = List.of(problem);
  }

  /** Each problem on its own, without the file name. */
  public List<String> problems() { return problems; }

  private static String message(String where, List<String> problems) {
    if (problems.size() == 1) return where + ": " + problems.getFirst();
    return where + ": " + problems.size() + " problems:\n  " + String.join("\n  ", problems);
  }
}
