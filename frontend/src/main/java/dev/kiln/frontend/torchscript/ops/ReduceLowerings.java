package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ReduceOps;
import java.util.List;
import java.util.Map;

/** Reductions: sum, mean, amax, argmax on tensors; all/any on tensors and on Python lists of bools. */
final class ReduceLowerings {
  private ReduceLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> reduce(cx, a, kw, ReduceOps.SUM), "torch.sum");
    r.add((cx, a, kw) -> reduce(cx, a, kw, ReduceOps.MEAN), "torch.mean");
    r.add((cx, a, kw) -> reduce(cx, a, kw, ReduceOps.AMAX), "torch.amax");
    r.add((cx, a, kw) -> {
      Object dim = get(a, kw, 1, "dim", null);
      Map<String, Attr> attrs = dim == null ? Builder.attrs() : Builder.attrs("dim", cx.constInt(dim, "dim"));
      attrs.put("keepdim", Attr.of(cx.constBool(get(a, kw, 2, "keepdim", false), "keepdim")));
      return cx.emit(ReduceOps.ARGMAX, attrs, ElementwiseLowerings.x(cx, a));
    }, "torch.argmax");
    r.add((cx, a, kw) -> allAny(cx, a, kw, true), "torch.all");
    r.add((cx, a, kw) -> allAny(cx, a, kw, false), "torch.any");
  }

  /** sum/mean(x, dims=None, keepdim=False, dtype=None); the dtype, when given, casts the input first. */
  private static Value reduce(LoweringContext cx, List<Object> args, Map<String, Object> kw, OpDef op) {
    Value x = ElementwiseLowerings.x(cx, args);
    Object dims = get(args, kw, 1, "dim", null);
    Object dtype = get(args, kw, 3, "dtype", null);
    // sum(x, dtype) puts dtype second when no dims are given.
    if (args.size() == 2 && dims instanceof Long && !(op == ReduceOps.AMAX)) {
      dtype = dims;
      dims = null;
    }
    if (dtype != null) x = ElementwiseLowerings.cast(cx, x, dtypeOf(cx, dtype));
    long[] d = dims == null ? new long[0] : cx.constInts(dims, "dim");
    boolean keep = cx.constBool(get(args, kw, 2, "keepdim", false), "keepdim");
    return cx.emit(op, Builder.attrs("dims", d, "keepdim", keep), x);
  }

  static DType dtypeOf(LoweringContext cx, Object code) {
    long c = cx.constInt(code, "dtype");
    DType d = ScalarTypes.dtype(c);
    if (d == null) throw cx.fail("ScalarType " + c + " has no Kiln dtype");
    return d;
  }

  /**
   * Python's all/any over a list (folding known items, prim.and/or over run-time ones), or torch.all/any of a
   * tensor: all(x) = sum(int(not x)) == 0 and any(x) = sum(int(not not x)) > 0, a bool tensor.
   */
  private static Object allAny(LoweringContext cx, List<Object> args, Map<String, Object> kw, boolean all) {
    Args.need(cx, args, 1, all ? "all(x)" : "any(x)");
    Object in = args.get(0);
    if (!Args.isTensor(in)) {
      Value acc = null;
      for (Object o : Args.list(cx, in, "input")) {
        if (o instanceof Value v) {
          acc = acc == null ? v : cx.emit(all ? PrimOps.AND : PrimOps.OR, Map.of(), acc, v);
          continue;
        }
        boolean b = truthy(cx, o);
        if (b != all) return !all;
      }
      return acc == null ? (Object) all : acc;
    }
    Value x = (Value) in;
    Value t = cx.emit(ElementwiseOps.NOT, Map.of(), x);
    if (!all) t = cx.emit(ElementwiseOps.NOT, Map.of(), t);
    Object dim = get(args, kw, 1, "dim", null);
    long[] dims = dim == null ? new long[0] : cx.constInts(dim, "dim");
    boolean keep = cx.constBool(get(args, kw, 2, "keepdim", false), "keepdim");
    Value s = cx.emit(ReduceOps.SUM, Builder.attrs("dims", dims, "keepdim", keep), cx.emit(ElementwiseOps.TO, Builder.attrs("dtype", DType.I64), t));
    return cx.emit(all ? ElementwiseOps.EQ : ElementwiseOps.GT, Map.of(), s, cx.scalar(0L, "zero"));
  }

  /** Python truthiness of a value known while lowering. */
  static boolean truthy(LoweringContext cx, Object o) {
    return switch (o) {
      case null -> false;
      case Boolean b -> b;
      case Long l -> l != 0;
      case Double d -> d != 0;
      case String s -> !s.isEmpty();
      case List<?> l -> !l.isEmpty();
      default -> throw cx.fail("cannot take the truth value of " + Args.describe(o));
    };
  }
}
