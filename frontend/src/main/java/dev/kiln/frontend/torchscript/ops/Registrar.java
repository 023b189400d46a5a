package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.torchscript.OpLowering;
import java.util.LinkedHashMap;
import java.util.Map;

/** Collects the lowerings of each family for {@link BuiltinTable}; a name registered twice is a bug. */
final class Registrar {
  private final Map<String, OpLowering> table = new LinkedHashMap<>();

  /** Registers {@code lowering} under each of {@code names} (e.g. a pure op and its in-place {@code _} form). */
  void add(OpLowering lowering, String... names) {
    for (String n : names)
      if (table.put(n, lowering) != null) throw new IllegalStateException("builtin " + n + " registered twice");
  }

  Map<String, OpLowering> table() { return table; }
}
