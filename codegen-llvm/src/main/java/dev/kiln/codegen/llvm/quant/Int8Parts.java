package dev.kiln.codegen.llvm.quant;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Text surgery for {@link Int8Library}'s parts: the routines' files each declare the intrinsics they call, but only
 * once across the whole library (one file may call what another declares, and a module may not declare a function
 * twice). A part is its files with their {@code declare} lines moved in front as the union of the library's.
 */
final class Int8Parts {
  private Int8Parts() {}

  /** The distinct {@code declare} lines of {@code text}, in order, one per line. */
  static String declarations(String text) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : text.split("\n")) if (line.strip().startsWith("declare ")) out.add(line.strip());
    return String.join("\n", out) + "\n\n";
  }

  /** {@code body} without its {@code declare} lines, after {@code declarations}. */
  static String module(String declarations, String body) {
    StringBuilder s = new StringBuilder(declarations);
    for (String line : body.split("\n", -1)) if (!line.strip().startsWith("declare ")) s.append(line).append('\n');
    return s.toString();
  }
}
