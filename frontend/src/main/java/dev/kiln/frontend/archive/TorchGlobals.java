package dev.kiln.frontend.archive;

import dev.kiln.ir.Quant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed allow-list of pickle globals and what calling each one means. A name from the file is only ever compared
 * with constants here: nothing is looked up by reflection and nothing from the file is executed. Methods throw
 * {@link IllegalArgumentException} with what was expected; the {@link Unpickler} adds the source and byte offset.
 */
final class TorchGlobals {
  private TorchGlobals() {}

  /** Callables reached through REDUCE. */
  enum Function {
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2"), REBUILD_QTENSOR("torch._utils", "_rebuild_qtensor"),
    ORDERED_DICT("collections", "OrderedDict"), BUILD_INTLIST("torch.jit._pickle", "build_intlist"),
    BUILD_DOUBLELIST("torch.jit._pickle", "build_doublelist"), BUILD_BOOLLIST("torch.jit._pickle", "build_boollist"),
    BUILD_TENSORLIST("torch.jit._pickle", "build_tensorlist"),
    RESTORE_TYPE_TAG("torch.jit._pickle", "restore_type_tag");

    final String module, name;

    Function(String module, String name) {
      this.module = module;
      this.name = name;
    }

    @Override public String toString() { return module + "." + name; }
  }

  /** A {@code __torch__.*} class: instances are made by NEWOBJ as {@link TorchObject}s. */
  record TorchClass(String qualifiedName) {
    @Override public String toString() { return qualifiedName; }
  }

  static final String ALLOWED = "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_qtensor, torch.*Storage, "
      + "torch.per_tensor_affine, torch.per_channel_affine, collections.OrderedDict, "
      + "torch.jit._pickle.build_{int,double,bool,tensor}list, torch.jit._pickle.restore_type_tag, __torch__.*";

  /** @return the object GLOBAL pushes for {@code module.name}, or null if that global is not allowed */
  static Object resolve(String module, String name) {
    for (Function f : Function.values()) if (f.module.equals(module) && f.name.equals(name)) return f;
    if (module.equals("torch")) {
      if (name.equals("per_tensor_affine")) return QScheme.PER_TENSOR_AFFINE;
      if (name.equals("per_channel_affine")) return QScheme.PER_CHANNEL_AFFINE;
      return StorageType.byClassName(name);
    }
    if ((module.equals("__torch__") || module.startsWith("__torch__.")) && isDottedName(module)
        && isDottedName(name) && !name.contains(".")) {
      return new TorchClass(module + "." + name);
    }
    return null;
  }

  private static boolean isDottedName(String s) {
    if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c == '_' || c == '.' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
        return false;
    }
    return true;
  }

  /** REDUCE: {@code callable(*args)}. */
  static Object reduce(Object callable, PyTuple args) {
    if (!(callable instanceof Function f))
      throw new IllegalArgumentException("REDUCE on " + describe(callable) + ", which is not a callable global");
    return switch (f) {
      case REBUILD_TENSOR_V2 -> {
        // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata])
        arity(f, args, 6, 7);
        yield new StoredTensor(storage(f, args.get(0)), integer(f, "storage_offset", args.get(1)),
            longs(f, "size", args.get(2)), longs(f, "stride", args.get(3)), bool(f, args.get(4)), null);
      }
      case REBUILD_QTENSOR -> {
        // (storage, offset, size, stride, quantizer_params, requires_grad, backward_hooks)
        arity(f, args, 7, 7);
        yield new StoredTensor(storage(f, args.get(0)), integer(f, "storage_offset", args.get(1)),
            longs(f, "size", args.get(2)), longs(f, "stride", args.get(3)), bool(f, args.get(5)),
            quant(args.get(4)));
      }
      case ORDERED_DICT -> {
        arity(f, args, 0, 0);
        yield new LinkedHashMap<Object, Object>();
      }
      case BUILD_INTLIST -> typedList(f, args, Long.class);
      case BUILD_DOUBLELIST -> typedList(f, args, Double.class);
      case BUILD_BOOLLIST -> typedList(f, args, Boolean.class);
      case BUILD_TENSORLIST -> typedList(f, args, StoredTensor.class);
      case RESTORE_TYPE_TAG -> {
        // (value, 'List[...]'): the static type only matters to TorchScript's type checker.
        arity(f, args, 2, 2);
        if (!(args.get(1) instanceof String)) throw new IllegalArgumentException(f + " expects a type string");
        yield args.get(0);
      }
    };
  }

  /** NEWOBJ: {@code cls.__new__(cls, *args)}; only {@code __torch__} classes with no arguments. */
  static Object newObject(Object cls, PyTuple args) {
    if (!(cls instanceof TorchClass c))
      throw new IllegalArgumentException("NEWOBJ on " + describe(cls) + ", expected a __torch__ class");
    if (args.size() != 0)
      throw new IllegalArgumentException("NEWOBJ of " + c + " with " + args.size() + " arguments, expected none");
    return new TorchObject(c.qualifiedName());
  }

  /** BUILD: attribute dicts fill a {@link TorchObject}; any other state (and all TorchBind state) is kept raw. */
  static void build(Object target, Object state) {
    if (target instanceof TorchObject o) {
      if (!o.isTorchBind() && state instanceof Map<?, ?> m && m.keySet().stream().allMatch(k -> k instanceof String)) {
        for (Map.Entry<?, ?> e : m.entrySet()) o.putAttribute((String) e.getKey(), e.getValue());
      } else {
        o.setState(state);
      }
      return;
    }
    // OrderedDict: a state dict carries _metadata (version numbers for training code); nothing to restore.
    if (target instanceof Map<?, ?> && (state == null || state instanceof Map<?, ?>)) return;
    throw new IllegalArgumentException("BUILD on " + describe(target) + ", expected a __torch__ object");
  }

  static String describe(Object o) {
    if (o == null) return "None";
    if (o instanceof Function || o instanceof TorchClass || o instanceof StorageType || o instanceof QScheme)
      return "global " + o;
    return o.getClass().getSimpleName();
  }

  private static void arity(Function f, PyTuple args, int min, int max) {
    if (args.size() < min || args.size() > max)
      throw new IllegalArgumentException(f + " called with " + args.size() + " arguments, expected "
          + (min == max ? String.valueOf(min) : min + " to " + max));
  }

  private static ArchiveStorage storage(Function f, Object o) {
    if (o instanceof ArchiveStorage s) return s;
    throw new IllegalArgumentException(f + " expects a storage (persistent id) first, got " + describe(o));
  }

  private static long integer(Function f, String what, Object o) {
    if (o instanceof Long l) return l;
    throw new IllegalArgumentException(f + " expects an int " + what + ", got " + describe(o));
  }

  private static boolean bool(Function f, Object o) {
    if (o instanceof Boolean b) return b;
    throw new IllegalArgumentException(f + " expects a bool requires_grad, got " + describe(o));
  }

  private static long[] longs(Function f, String what, Object o) {
    if (!(o instanceof PyTuple t)) throw new IllegalArgumentException(f + " expects a tuple " + what + ", got " + describe(o));
    long[] r = new long[t.size()];
    for (int i = 0; i < r.length; i++) r[i] = integer(f, what + " item", t.get(i));
    return r;
  }

  private static Quant quant(Object o) {
    if (!(o instanceof PyTuple t) || t.size() == 0 || !(t.get(0) instanceof QScheme scheme))
      throw new IllegalArgumentException("_rebuild_qtensor expects (qscheme, ...) quantizer parameters, got " + o);
    if (scheme == QScheme.PER_TENSOR_AFFINE) {
      if (t.size() == 3 && t.get(1) instanceof Double scale && t.get(2) instanceof Long zp)
        return Quant.perTensor(scale, zp);
      throw new IllegalArgumentException("per_tensor_affine expects (qscheme, float scale, int zero_point), got " + t);
    }
    if (t.size() == 4 && t.get(1) instanceof StoredTensor scales && t.get(2) instanceof StoredTensor zps
        && t.get(3) instanceof Long axis && axis >= 0 && axis < 64 && scales.numel() == zps.numel()
        && scales.numel() > 0) {
      List<Double> s = new ArrayList<>();
      for (double d : scales.toDoubleArray()) s.add(d);
      List<Long> z = new ArrayList<>();
      for (long l : zps.toLongArray()) z.add(l);
      return new Quant(axis.intValue(), s, z);
    }
    throw new IllegalArgumentException("per_channel_affine expects (qscheme, scales, zero_points, axis), got " + t);
  }

  private static List<Object> typedList(Function f, PyTuple args, Class<?> element) {
    arity(f, args, 1, 1);
    if (!(args.get(0) instanceof List<?> l)) throw new IllegalArgumentException(f + " expects a list");
    for (Object o : l) {
      if (!element.isInstance(o))
        throw new IllegalArgumentException(f + " expects " + element.getSimpleName() + " items, got " + describe(o));
    }
    @SuppressWarnings("unchecked") List<Object> r = (List<Object>) l;
    return r;
  }
}
