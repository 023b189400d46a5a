package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.ClassMember;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.ir.Attr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads attributes of the archive's module objects and its {@code CONSTANTS}: tensors become named weights
 * ({@code layer1.0.conv1.weight}, {@code CONSTANTS.c3}), submodules stay objects, plain values fold, class
 * constants ({@code eps : Final[float] = 1e-05}) are read from the code, and methods become callables.
 */
final class ModuleAttrs {
  private final Map<TorchObject, String> paths = new IdentityHashMap<>();
  private final List<Object> constants;

  /** @param root the module tree; @param constants the items of constants.pkl */
  ModuleAttrs(TorchObject root, List<Object> constants) {
    this.constants = constants;
    // Breadth-first so that a module reached twice is named by its shortest path, as state_dict names it.
    Deque<TorchObject> queue = new ArrayDeque<>();
    paths.put(root, "");
    queue.add(root);
    while (!queue.isEmpty()) {
      TorchObject o = queue.poll();
      for (Map.Entry<String, Object> e : o.attributes().entrySet()) {
        if (e.getValue() instanceof TorchObject child && !paths.containsKey(child)) {
          paths.put(child, join(paths.get(o), e.getKey()));
          queue.add(child);
        }
      }
    }
  }

  private static String join(String path, String name) { return path.isEmpty() ? name : path + "." + name; }

  /** {@code self.name} on a module object, as a lowering-time value. */
  Object attribute(Lowering cx, TorchObject self, String name) {
    // Kiln compiles for inference: every module is in eval mode whatever was pickled.
    if (name.equals("training")) return Boolean.FALSE;
    if (self.has(name)) return fromPickle(cx, self.get(name), join(pathOf(self), name));
    Object state = QuantizedModuleState.attribute(cx, self, name, pathOf(self));
    if (state != QuantizedModuleState.ABSENT) return fromPickle(cx, state, join(pathOf(self), name));
    CodeIndex.ClassRef cls = cx.index.findClass(self.qualifiedName());
    if (cls == null) throw cx.error("no code for the class " + self.qualifiedName() + " of module '" + pathOf(self) + "'");
    FunctionDef m = cls.def().method(name);
    if (m != null) return new Callables.Method(self, m, cls.source(), simpleName(self.qualifiedName()));
    ClassMember.AttributeDecl decl = cls.def().attribute(name);
    if (decl != null && decl.value() != null) return cx.exprs.constant(decl.value());
    if (decl != null) return null; // declared (e.g. `_is_full_backward_hook : NoneType`) but not pickled: None
    throw cx.error("module " + simpleName(self.qualifiedName()) + " ('" + pathOf(self) + "') has no attribute '" + name + "'");
  }

  /** {@code CONSTANTS.c<i>}. */
  Object constant(Lowering cx, String name) {
    int i;
    try {
      i = Integer.parseInt(name.substring(1));
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw cx.error("CONSTANTS has no item '" + name + "', expected c0 ... c" + (constants.size() - 1));
    }
    if (!name.startsWith("c") || i < 0 || i >= constants.size())
      throw cx.error("CONSTANTS has no item '" + name + "' (the archive has " + constants.size() + " constants)");
    Object c = constants.get(i);
    // A zero-dim constant (traced code keeps Python numbers as such tensors) is a literal, so arithmetic on it
    // folds while lowering: `int(torch.mul(bsz, CONSTANTS.c0))` gives a size known statically.
    if (c instanceof StoredTensor t && t.rank() == 0 && !t.dtype().isQuantized()) {
      Attr value = switch (t.dtype()) {
        case F32, F64, F16, BF16 -> Attr.of(t.toDoubleArray()[0]);
        case BOOL -> Attr.of(t.toLongArray()[0] != 0);
        default -> Attr.of(t.toLongArray()[0]);
      };
      return cx.literal(value, WeightTable.typeOf(t));
    }
    return fromPickle(cx, c, "CONSTANTS." + name);
  }

  private Object fromPickle(Lowering cx, Object v, String path) {
    return switch (v) {
      case StoredTensor t -> cx.weights.weight(t, path);
      case Integer i -> (long) i;
      case Float f -> (double) f;
      case List<?> l -> {
        List<Object> out = new ArrayList<>();
        for (int k = 0; k < l.size(); k++) out.add(fromPickle(cx, l.get(k), path + "." + k));
        yield out;
      }
      case PyTuple t -> {
        List<Object> out = new ArrayList<>();
        for (int k = 0; k < t.size(); k++) out.add(fromPickle(cx, t.get(k), path + "." + k));
        yield new PyTuple(out);
      }
      case null, default -> v;
    };
  }

  String pathOf(TorchObject o) {
    String p = paths.get(o);
    return p == null ? "?" : p;
  }

  static String simpleName(String qualified) { return qualified.substring(qualified.lastIndexOf('.') + 1); }
}
