package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prim builtins that share the {@code torch.} namespace (len, append, list, format, warn, find, __contains__) and
 * {@code ops.prim.*} queries. Kiln compiles for CPU inference, so device queries fold to "cpu", is_cuda,
 * requires_grad, is_nested, is_grad_enabled and is_autocast_enabled to False, and dtype to its ScalarType code.
 */
final class PrimLowerings {
  private PrimLowerings() {}

  static void register(Registrar r) {
    r.add(PrimLowerings::len, "torch.len");
    r.add(PrimLowerings::append, "torch.append");
    r.add((cx, a, kw) -> {
      Object o = get(a, 0, null);
      if (o instanceof String s) return new ArrayList<Object>(s.chars().mapToObj(c -> String.valueOf((char) c)).toList());
      return new ArrayList<>(Args.list(cx, o, "list()"));
    }, "torch.list");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "format(fmt, ...)");
      if (!(a.get(0) instanceof String fmt)) throw cx.fail("format string must be known while lowering, got " + Args.describe(a.get(0)));
      return PyFormat.format(cx, fmt, a.subList(1, a.size()));
    }, "torch.format");
    r.add((cx, a, kw) -> null, "torch.warn");
    r.add(PrimLowerings::find, "torch.find");
    r.add(PrimLowerings::contains, "torch.__contains__");
    r.add((cx, a, kw) -> {
      Object d = get(a, 0, "cpu");
      if (!(d instanceof String s) || !s.startsWith("cpu")) throw cx.fail("only the cpu device is supported, got " + Args.describe(d));
      return "cpu";
    }, "torch.device");
    r.add((cx, a, kw) -> {
      cx.tensor(get(a, 0, null), "input");
      return "cpu";
    }, "ops.prim.device");
    r.add((cx, a, kw) -> ScalarTypes.code(cx.typeOf(ElementwiseLowerings.x(cx, a)).dtype()), "ops.prim.dtype");
    r.add((cx, a, kw) -> cx.typeOf(ElementwiseLowerings.x(cx, a)).dtype().isFloat(), "torch.is_floating_point");
    r.add((cx, a, kw) -> {
      ElementwiseLowerings.x(cx, a);
      return false;
    }, "ops.prim.is_cuda", "ops.prim.requires_grad", "ops.prim.is_nested");
    r.add((cx, a, kw) -> false, "torch.is_grad_enabled", "torch.is_autocast_enabled");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 1, "NumToTensor(number)");
      Object n = a.get(0);
      if (cx.isConst(n)) return cx.tensor(n, "number");
      return cx.emit(PrimOps.TO_TENSOR, Map.of(), cx.scalar(n, "number"));
    }, "ops.prim.NumToTensor");
  }

  private static Object len(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 1, "len(x)");
    Object o = args.get(0);
    return switch (o) {
      case String s -> (long) s.length();
      case List<?> l -> (long) l.size();
      case PyTuple t -> (long) t.size();
      case Value v when v.type() instanceof ListType -> cx.emit(PrimOps.LEN, Map.of(), v);
      case Value v when Args.isTensor(v) -> {
        if (Args.rank(cx, v, "input") == 0) throw cx.fail("len() of a zero-dim tensor");
        yield ShapeLowerings.dimSize(cx, v, 0);
      }
      default -> throw cx.fail("len() of " + Args.describe(o));
    };
  }

  /** list.append mutates the list in place, so every name bound to it sees the new item, as in Python. */
  private static Object append(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "append(list, item)");
    if (!(args.get(0) instanceof List<?> l)) throw cx.fail("append needs a list known while lowering, got " + Args.describe(args.get(0)));
    @SuppressWarnings("unchecked") List<Object> list = (List<Object>) l;
    try {
      list.add(args.get(1));
    } catch (UnsupportedOperationException e) {
      throw cx.fail("append to an immutable list (the engine must build lists as mutable java.util.ArrayList)");
    }
    return list;
  }

  /** str.find(sub, start=0, end=len): index of the first match in [start, end), or -1. */
  private static Object find(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "find(self, substr, start=0, end=-1)");
    if (!(args.get(0) instanceof String s) || !(args.get(1) instanceof String sub))
      throw cx.fail("find needs strings known while lowering, got " + Args.describe(args.get(0)) + " and " + Args.describe(args.get(1)));
    long n = s.length();
    long start = cx.constInt(get(args, 2, 0L), "start"), end = cx.constInt(get(args, 3, n), "end");
    start = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
    end = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
    if (end < start) return -1L;
    int i = s.substring(0, (int) end).indexOf(sub, (int) start);
    return (long) i;
  }

  private static Object contains(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "__contains__(container, item)");
    Object container = args.get(0), item = args.get(1);
    if (container instanceof String s && item instanceof String sub) return s.contains(sub);
    Value any = null;
    for (Object o : Args.list(cx, container, "container")) {
      Object eq = CompareLowerings.equal(cx, o, item);
      if (Boolean.TRUE.equals(eq)) return true;
      if (eq instanceof Value v) any = any == null ? v : cx.emit(PrimOps.OR, Map.of(), any, v);
    }
    return any == null ? (Object) false : any;
  }
}
