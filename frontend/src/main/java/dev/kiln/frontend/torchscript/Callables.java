package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.FunctionDef;

/**
 * Lowering-time values that are not data: namespaces being dotted into, functions and bound methods to inline, and
 * markers for variables without a usable value. They live only in the lowering environment, never in the IR.
 */
final class Callables {
  private Callables() {}

  /**
   * A dotted prefix such as {@code torch}, {@code ops.prim} or {@code __torch__.torch.nn.functional}: attributes
   * extend it, and calling it looks the full name up (inlined function, special form or op table).
   */
  record Namespace(String path) {
    Namespace dot(String attr) { return new Namespace(path + "." + attr); }
  }

  /** A TorchScript function to inline, with the file it was defined in (for positions and name lookup). */
  record Function(FunctionDef def, CodeIndex.Source source, String qualifiedName) {}

  /** A method of a module object, to inline with {@code self} bound to {@code self}. */
  record Method(TorchObject self, FunctionDef def, CodeIndex.Source source, String className) {}

  /** {@code uninitialized(T)}: a placeholder assigned on paths that raise; it is an error to compute with it. */
  record Uninitialized(dev.kiln.ir.Type type) {}

  /** A variable that has no value at this point, with the reason (e.g. assigned in only one branch). */
  record Undefined(String why) {}

  /** Short description of a lowering-time value for error messages. */
  static String describe(Object v) {
    return switch (v) {
      case null -> "None";
      case dev.kiln.ir.Value val -> "a run-time " + val.type().text();
      case Long l -> "the int " + l;
      case Double d -> "the float " + d;
      case Boolean b -> "the bool " + b;
      case String s -> "the string \"" + s + "\"";
      case java.util.List<?> l -> "a list of " + l.size();
      case dev.kiln.frontend.archive.PyTuple t -> "a tuple of " + t.size();
      case TorchObject o -> "a module " + o.qualifiedName();
      case Namespace n -> "'" + n.path() + "'";
      case Function f -> "the function " + f.qualifiedName();
      case Method m -> "the method " + m.className() + "." + m.def().name();
      case Uninitialized u -> "an uninitialized " + u.type().text();
      case Undefined u -> "an undefined variable (" + u.why() + ")";
      default -> v.getClass().getSimpleName();
    };
  }
}
