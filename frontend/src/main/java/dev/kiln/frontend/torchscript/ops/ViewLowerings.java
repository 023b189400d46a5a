package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Builder;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * view / reshape / flatten. A target shape known while lowering becomes the {@code shape} attribute; a single
 * entry known only at run time is written as -1 (valid because PyTorch requires the element counts to match, so
 * -1 infers the same size); more run-time entries become a {@code list<int>} operand, whose result has no rank.
 */
final class ViewLowerings {
  private ViewLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> reshape(cx, ElementwiseLowerings.x(cx, a), get(a, kw, 1, "size", null)), "torch.view", "torch.reshape");
    r.add((cx, a, kw) -> {
      Value x = ElementwiseLowerings.x(cx, a);
      Value other = cx.tensor(get(a, 1, null), "other");
      return reshape(cx, x, sizes(cx, other));
    }, "torch.view_as", "torch.reshape_as");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.FLATTEN, Builder.attrs("start_dim", cx.constInt(get(a, kw, 1, "start_dim", 0L), "start_dim"),
        "end_dim", cx.constInt(get(a, kw, 2, "end_dim", -1L), "end_dim")), ElementwiseLowerings.x(cx, a)), "torch.flatten");
  }

  /** Reshapes {@code x} to {@code shape}: a list of Longs and run-time ints, or a run-time list<int> value. */
  static Value reshape(LoweringContext cx, Value x, Object shape) {
    if (shape instanceof Value v && v.type() instanceof ListType) return cx.emit(ShapeOps.RESHAPE, Map.of(), x, v);
    List<Object> items = Args.list(cx, shape, "size");
    long[] sizes = new long[items.size()];
    int runtime = 0, inferred = 0;
    for (int i = 0; i < sizes.length; i++) {
      Object o = items.get(i);
      if (cx.isConst(o)) {
        sizes[i] = cx.constInt(o, "size[" + i + "]");
        if (sizes[i] == -1) inferred++;
      } else {
        runtime++;
        sizes[i] = -1;
      }
    }
    if (runtime + inferred <= 1) return cx.emit(ShapeOps.RESHAPE, Builder.attrs("shape", sizes), x);
    List<Value> dims = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) dims.add(cx.scalar(items.get(i), "size[" + i + "]"));
    return cx.emit(ShapeOps.RESHAPE, Map.of(), x, cx.emitMulti(PrimOps.LIST, Map.of(), dims).get(0));
  }

  /** The sizes of {@code t} as Longs and prim.size values. */
  private static List<Object> sizes(LoweringContext cx, Value t) {
    int rank = Args.rank(cx, t, "other");
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < rank; i++) out.add(ShapeLowerings.dimSize(cx, t, i));
    return out;
  }
}
