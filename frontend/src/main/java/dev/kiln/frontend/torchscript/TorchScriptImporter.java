package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.TorchArchive;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.frontend.script.ScriptModule;
import dev.kiln.frontend.script.ScriptParser;
import dev.kiln.frontend.torchscript.ops.BuiltinTable;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Imports TorchScript into Graph IR: a {@code torch.jit.save} archive (its root module's {@code forward}) or a
 * standalone script function. The code is abstractly interpreted: values known while lowering (sizes of static
 * dims, module constants, {@code self.training}, which is always false) fold away, calls to modules and
 * {@code __torch__} functions are inlined, and builtins become IR through the op table
 * ({@link BuiltinTable}). Stateless and thread-safe; every call reads its inputs afresh.
 */
public final class TorchScriptImporter {
  private TorchScriptImporter() {}

  /** The imported graph and the weights its {@code const {name=...}} nodes refer to (by name, in first-use order). */
  public record ImportedModel(Graph graph, Map<String, Tensor> weights) {}

  /**
   * Imports the root module's {@code forward} of a TorchScript archive.
   *
   * @param pt the archive, never null
   * @param inputTypes the types of forward's tensor parameters after {@code self}, in order; symbolic dims
   *     ({@code Dim.sym("N")}) stay symbolic and sizes read from them become run-time {@code prim.size} values
   * @throws dev.kiln.frontend.archive.ArchiveException if the file is not a valid archive
   * @throws dev.kiln.frontend.script.ScriptSyntaxException if a code file does not parse ({@code file:line:col})
   * @throws ScriptLoweringException for code that cannot be lowered: unsupported ops, IR type errors, checks that
   *     fail for the given input types; the message starts with the code file inside the archive and the position
   */
  public static ImportedModel importArchive(Path pt, List<TensorType> inputTypes) {
    return importArchive(pt, inputTypes, BuiltinTable::find);
  }

  /**
   * Imports function {@code entry} of a standalone TorchScript source file ({@code def forward(x: Tensor) -> Tensor:});
   * other functions of the file are inlined where called.
   *
   * @param py the script, never null; @param entry the function name, never null
   * @param inputTypes the types of the function's parameters, which must be tensors
   */
  public static ImportedModel importScript(Path py, String entry, List<TensorType> inputTypes) {
    return importScript(py, entry, inputTypes, BuiltinTable::find);
  }

  /** {@link #importArchive(Path, List)} with another op table (tests). */
  static ImportedModel importArchive(Path pt, List<TensorType> inputTypes, Function<String, OpLowering> ops) {
    TorchArchive archive = TorchArchive.open(pt);
    TorchObject root = archive.root();
    CodeIndex index = new CodeIndex(archive.code(), "code/");
    CodeIndex.ClassRef cls = index.findClass(root.qualifiedName());
    if (cls == null)
      throw new ScriptLoweringException(null, pt + ": no code for the root class " + root.qualifiedName() + " (expected code/"
          + root.qualifiedName().substring(0, root.qualifiedName().lastIndexOf('.')).replace('.', '/') + ".py)", null);
    FunctionDef forward = cls.def().method("forward");
    if (forward == null) throw new ScriptLoweringException(cls.def().pos(), "class " + cls.def().name() + " has no forward method", null);
    ModuleAttrs modules = new ModuleAttrs(root, archive.constants());
    String where = cls.def().name() + ".forward";
    return GraphLowering.lower("forward", forward, cls.source(), where, root, index, modules, inputTypes, ops);
  }

  /** {@link #importScript(Path, String, List)} with another op table (tests). */
  static ImportedModel importScript(Path py, String entry, List<TensorType> inputTypes, Function<String, OpLowering> ops) {
    String text;
    try {
      text = Files.readString(py);
    } catch (IOException e) {
      throw new ScriptLoweringException(null, py + ": cannot read the script: " + e.getMessage(), e);
    }
    ScriptModule module = ScriptParser.parse(text, py.toString());
    FunctionDef fn = module.function(entry);
    if (fn == null)
      throw new ScriptLoweringException(null, py + ": no top-level function '" + entry + "' (functions: "
          + module.functions().stream().map(FunctionDef::name).toList() + ")", null);
    CodeIndex index = CodeIndex.ofScript(module, py.toString());
    CodeIndex.Source src = new CodeIndex.Source(module, py.toString());
    return GraphLowering.lower(entry, fn, src, entry, null, index, null, inputTypes, ops);
  }
}
