package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.PrimOps;
import java.util.List;
import java.util.Map;

/**
 * {@code torch.eq/ne/lt/le/gt/ge}: on tensors the elementwise {@code nn.*} compare; on values known while lowering
 * a Java Boolean with Python's rules (1 == 1.0, lists compare item by item, None equals only None); on run-time
 * numbers {@code prim.*}. Lists mixing known and run-time items fold what they can and and the rest together.
 */
final class CompareLowerings {
  private CompareLowerings() {}

  enum Cmp { EQ, NE, LT, LE, GT, GE }

  static void register(Registrar r) {
    for (Cmp c : Cmp.values()) {
      String n = c.name().toLowerCase();
      r.add((cx, a, kw) -> {
        Args.need(cx, a, 2, n + "(a, b)");
        return compare(cx, c, a.get(0), a.get(1));
      }, "torch." + n);
    }
  }

  /** a (op) b as a Boolean when known while lowering, else an IR value (bool, or a bool tensor). */
  static Object compare(LoweringContext cx, Cmp c, Object a, Object b) {
    if (Args.isTensor(a) || Args.isTensor(b)) {
      OpDef op = switch (c) {
        case EQ -> ElementwiseOps.EQ;
        case NE -> ElementwiseOps.NE;
        case LT -> ElementwiseOps.LT;
        case LE -> ElementwiseOps.LE;
        case GT -> ElementwiseOps.GT;
        case GE -> ElementwiseOps.GE;
      };
      return cx.emit(op, Map.of(), Args.operand(cx, a, "self"), Args.operand(cx, b, "other"));
    }
    if (c == Cmp.EQ || c == Cmp.NE) {
      Object eq = equal(cx, a, b);
      if (c == Cmp.EQ) return eq;
      return eq instanceof Boolean bb ? (Object) !bb : cx.emit(PrimOps.NOT, Map.of(), (Value) eq);
    }
    Number na = Args.knownNumber(a), nb = Args.knownNumber(b);
    if (na != null && nb != null) return order(c, Double.compare(na.doubleValue(), nb.doubleValue()), na, nb);
    if (a instanceof String sa && b instanceof String sb) return order(c, Integer.signum(sa.compareTo(sb)), null, null);
    OpDef op = switch (c) {
      case LT -> PrimOps.LT;
      case LE -> PrimOps.LE;
      case GT -> PrimOps.GT;
      default -> PrimOps.GE;
    };
    return cx.emit(op, Map.of(), cx.scalar(a, "a"), cx.scalar(b, "b"));
  }

  private static Boolean order(Cmp c, int cmp, Number a, Number b) {
    // Python compares ints exactly; doubles lose precision above 2^53.
    if (a != null && Args.integral(a) && Args.integral(b)) cmp = Long.compare(a.longValue(), b.longValue());
    return switch (c) {
      case LT -> cmp < 0;
      case LE -> cmp <= 0;
      case GT -> cmp > 0;
      default -> cmp >= 0;
    };
  }

  /** Python's == : a Boolean when decidable while lowering, else a run-time bool value. */
  static Object equal(LoweringContext cx, Object a, Object b) {
    List<Object> la = items(a), lb = items(b);
    if (la != null && lb != null) {
      if (la.size() != lb.size() || (a instanceof PyTuple) != (b instanceof PyTuple)) return false;
      Value acc = null;
      for (int i = 0; i < la.size(); i++) {
        Object e = equal(cx, la.get(i), lb.get(i));
        if (Boolean.FALSE.equals(e)) return false;
        if (e instanceof Value v) acc = acc == null ? v : cx.emit(PrimOps.AND, Map.of(), acc, v);
      }
      return acc == null ? (Object) true : acc;
    }
    if (a instanceof Value || b instanceof Value) {
      if (a == b) return true;
      if (a == null || b == null || a instanceof String || b instanceof String || la != null || lb != null)
        throw cx.fail("cannot compare " + Args.describe(a) + " with " + Args.describe(b) + " while lowering");
      return cx.emit(PrimOps.EQ, Map.of(), cx.scalar(a, "a"), cx.scalar(b, "b"));
    }
    Number na = Args.knownNumber(a), nb = Args.knownNumber(b);
    if (na != null && nb != null)
      return Args.integral(na) && Args.integral(nb) ? na.longValue() == nb.longValue() : na.doubleValue() == nb.doubleValue();
    if (a == null || b == null) return a == b;
    return a.equals(b);
  }

  private static List<Object> items(Object o) {
    if (o instanceof PyTuple t) return t.items();
    if (o instanceof List<?> l) {
      @SuppressWarnings("unchecked") List<Object> lo = (List<Object>) l;
      return lo;
    }
    return null;
  }
}
