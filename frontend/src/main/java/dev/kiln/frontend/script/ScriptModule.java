package dev.kiln.frontend.script;

import java.util.List;

/**
 * One parsed TorchScript source file: its imports, classes and top-level functions, each in source
 * order. Produced by {@link ScriptParser#parse}; lists are immutable and never null.
 */
public record ScriptModule(String fileName, List<Import> imports, List<ClassDef> classes,
    List<FunctionDef> functions) {
  public ScriptModule {
    imports = List.copyOf(imports);
    classes = List.copyOf(classes);
    functions = List.copyOf(functions);
  }

  /** The class named {@code name} (unqualified, as written after {@code class}), or null. */
  public ClassDef classNamed(String name) {
    return classes.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  /** The top-level function named {@code name}, or null. */
  public FunctionDef function(String name) {
    return functions.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }
}
