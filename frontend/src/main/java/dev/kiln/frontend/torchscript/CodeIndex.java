package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.ClassDef;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.frontend.script.ScriptModule;
import dev.kiln.frontend.script.ScriptParser;
import java.util.HashMap;
import java.util.Map;

/**
 * The TorchScript sources of an archive (or one user script), parsed on first use and looked up by qualified name:
 * {@code __torch__.a.b.C} is class {@code C} of {@code code/__torch__/a/b.py}, and {@code __torch__.a.b.f} is the
 * top-level function {@code f} there. Mangled names ({@code ___torch_mangle_N}) are ordinary package parts.
 */
final class CodeIndex {
  /** One parsed file; {@code path} is what positions name (e.g. {@code code/__torch__/a/b.py}). */
  record Source(ScriptModule module, String path) {}

  private final Map<String, String> code;
  private final String prefix;
  private final Map<String, Source> parsed = new HashMap<>();

  /**
   * @param code sources by path relative to the code folder ({@code __torch__/a/b.py}), never null
   * @param prefix put before those paths in positions ({@code code/})
   */
  CodeIndex(Map<String, String> code, String prefix) {
    this.code = code;
    this.prefix = prefix;
  }

  /** An index over one already parsed script. */
  static CodeIndex ofScript(ScriptModule module, String path) {
    CodeIndex idx = new CodeIndex(Map.of(), "");
    idx.parsed.put(path, new Source(module, path));
    return idx;
  }

  /** A class with the file it is in. */
  record ClassRef(ClassDef def, Source source) {}

  /** The class named {@code qualifiedName}, or null if no code file defines it. Parse errors propagate. */
  ClassRef findClass(String qualifiedName) {
    int dot = qualifiedName.lastIndexOf('.');
    if (dot < 0) return null;
    Source src = file(qualifiedName.substring(0, dot));
    if (src == null) return null;
    ClassDef c = src.module().classNamed(qualifiedName.substring(dot + 1));
    return c == null ? null : new ClassRef(c, src);
  }

  /** The top-level function named {@code qualifiedName} ({@code __torch__.torch.nn.functional.relu}), or null. */
  Callables.Function findFunction(String qualifiedName) {
    int dot = qualifiedName.lastIndexOf('.');
    if (dot < 0) return null;
    Source src = file(qualifiedName.substring(0, dot));
    if (src == null) return null;
    FunctionDef f = src.module().function(qualifiedName.substring(dot + 1));
    return f == null ? null : new Callables.Function(f, src, qualifiedName);
  }

  /** The parsed file of a dotted module name ({@code __torch__.a.b} -> {@code __torch__/a/b.py}), or null. */
  private Source file(String module) {
    String path = module.replace('.', '/') + ".py";
    Source s = parsed.get(path);
    if (s != null) return s;
    String text = code.get(path);
    if (text == null) return null;
    s = new Source(ScriptParser.parse(text, prefix + path), prefix + path);
    parsed.put(path, s);
    return s;
  }
}
