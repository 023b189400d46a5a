package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ShapeOps;
import java.util.List;
import java.util.Map;

/**
 * zeros/ones/full and their _like forms as {@code nn.full}. layout, device and pin_memory keywords are accepted
 * and ignored (CPU, strided). The size must be known while lowering: nn.full takes its shape as an attribute.
 */
final class TensorFactoryLowerings {
  private TensorFactoryLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> full(cx, get(a, 0, null), 0.0, kw.get("dtype"), DType.F32), "torch.zeros");
    r.add((cx, a, kw) -> full(cx, get(a, 0, null), 1.0, kw.get("dtype"), DType.F32), "torch.ones");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 2, "full(size, fill_value, dtype=None, ...)");
      Object fill = a.get(1);
      // Without a dtype, an int fill gives an int64 tensor and a bool fill a bool tensor, as in PyTorch.
      DType dflt = fill instanceof Boolean ? DType.BOOL : fill instanceof Long ? DType.I64 : DType.F32;
      return full(cx, a.get(0), cx.constFloat(fill instanceof Boolean b ? (b ? 1L : 0L) : fill, "fill_value"), get(a, kw, 2, "dtype", null), dflt);
    }, "torch.full");
    r.add((cx, a, kw) -> like(cx, a, kw, 0.0), "torch.zeros_like");
    r.add((cx, a, kw) -> like(cx, a, kw, 1.0), "torch.ones_like");
    r.add((cx, a, kw) -> {
      Args.need(cx, a, 2, "full_like(input, fill_value, ...)");
      return like(cx, a, kw, cx.constFloat(a.get(1), "fill_value"));
    }, "torch.full_like");
  }

  private static Value like(LoweringContext cx, List<Object> args, Map<String, Object> kw, double value) {
    Value x = ElementwiseLowerings.x(cx, args);
    TensorType t = cx.typeOf(x);
    if (!t.shape().isStatic()) throw cx.fail("the _like factories need a static shape, got " + t.text());
    return full(cx, t.shape().sizes(), value, kw.get("dtype"), t.dtype());
  }

  static Value full(LoweringContext cx, Object size, double value, Object dtype, DType dflt) {
    long[] shape;
    if (size instanceof long[] s) {
      shape = s;
    } else {
      if (size instanceof List<?> l)
        for (int i = 0; i < l.size(); i++)
          if (!cx.isConst(l.get(i)))
            throw cx.fail("size[" + i + "] is only known at run time; nn.full needs a size known while lowering (give the input a static shape)");
      shape = cx.constInts(size, "size");
    }
    DType d = dtype == null ? dflt : ReduceLowerings.dtypeOf(cx, dtype);
    return cx.emit(ShapeOps.FULL, Builder.attrs("shape", shape, "value", value, "dtype", d));
  }
}
