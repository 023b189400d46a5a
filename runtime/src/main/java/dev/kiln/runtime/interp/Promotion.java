package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import dev.kiln.ir.ops.ShapeRules;
import java.util.ArrayList;
import java.util.List;

/**
 * PyTorch type promotion over run-time operands (tensors and Python numbers), as ShapeRules.promote does for types:
 * the highest category (bool < integer < floating) wins; within it dimensioned tensors outrank zero-dim tensors,
 * which outrank numbers; the widest dtype of the top rank wins. A float number with integer tensors gives f32.
 */
final class Promotion {
  private Promotion() {}

  static DType dtypeOf(KernelArgs a, Object v) {
    return switch (v) {
      case Tensor t -> t.dtype();
      case Double d -> DType.F64;
      case Long l -> DType.I64;
      case Boolean b -> DType.BOOL;
      default -> throw a.fail("operand " + Values.describe(v) + " is neither a tensor nor a number");
    };
  }

  private static int priority(Object v) {
    if (v instanceof Tensor t) return t.rank() == 0 ? 1 : 2;
    return 0;
  }

  static DType promote(KernelArgs a, List<Object> operands) {
    List<DType> dtypes = new ArrayList<>();
    List<Integer> priorities = new ArrayList<>();
    for (Object v : operands) {
      DType d = dtypeOf(a, v);
      if (d.isQuantized()) throw a.fail("quantized " + d + " needs a quantized op");
      dtypes.add(d);
      priorities.add(priority(v));
    }
    return ShapeRules.promote(dtypes, priorities);
  }

  /** The operand as a tensor: numbers become zero-dim tensors of {@code dtype}. */
  static Tensor asTensor(KernelArgs a, Object v, DType dtype) {
    return switch (v) {
      case Tensor t -> t;
      case Double d -> Tensor.scalar(dtype, d);
      case Long l -> Tensor.ofLongs(dtype, new long[] {l});
      case Boolean b -> Tensor.ofLongs(dtype, new long[] {b ? 1 : 0});
      default -> throw a.fail("operand " + Values.describe(v) + " is neither a tensor nor a number");
    };
  }
}
