package dev.kiln.passes.rewrite;

import dev.kiln.ir.Dim;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import java.util.ArrayList;
import java.util.List;

/** Type comparisons passes need: whether one type may stand where another was written, and merging refinements. */
public final class Types {
  private Types() {}

  /**
   * True when a value of type {@code precise} may replace one of type {@code general}: same kind and dtype, and every
   * dim of {@code general} that is known (static or symbolic) is the same in {@code precise}; an unranked shape
   * accepts any. Layout and quantization must be equal. This is the verifier's rule for written versus inferred.
   */
  public static boolean refines(Type precise, Type general) {
    return switch (general) {
      case TensorType g -> precise instanceof TensorType p && p.dtype() == g.dtype() && p.layout() == g.layout()
          && java.util.Objects.equals(p.quant(), g.quant()) && shapeRefines(p.shape(), g.shape());
      case ListType g -> precise instanceof ListType p && refines(p.element(), g.element());
      case OptionalType g -> precise instanceof OptionalType p && refines(p.element(), g.element());
      case TupleType g -> {
        if (!(precise instanceof TupleType p) || p.elements().size() != g.elements().size()) yield false;
        for (int i = 0; i < g.elements().size(); i++) if (!refines(p.elements().get(i), g.elements().get(i))) yield false;
        yield true;
      }
      default -> precise.equals(general);
    };
  }

  private static boolean shapeRefines(Shape p, Shape g) {
    if (!g.isRanked()) return true;
    if (!p.isRanked() || p.rank() != g.rank()) return false;
    for (int i = 0; i < g.rank(); i++) if (!g.dim(i).isUnknown() && !g.dim(i).equals(p.dim(i))) return false;
    return true;
  }

  /**
   * The most precise type agreeing with both: {@code inferred} where it knows a dim, {@code written} elsewhere. Null
   * when they contradict (different kinds, dtypes, ranks or known dims). Layout and quantization come from
   * {@code written} (type rules do not compute them).
   */
  public static Type merge(Type written, Type inferred) {
    return switch (inferred) {
      case TensorType i -> {
        if (!(written instanceof TensorType w) || w.dtype() != i.dtype()) yield null;
        Shape s = mergeShape(w.shape(), i.shape());
        yield s == null ? null : w.withShape(s);
      }
      case ListType i -> {
        if (!(written instanceof ListType w)) yield null;
        Type e = merge(w.element(), i.element());
        yield e == null ? null : new ListType(e);
      }
      case OptionalType i -> {
        if (!(written instanceof OptionalType w)) yield null;
        Type e = merge(w.element(), i.element());
        yield e == null ? null : new OptionalType(e);
      }
      case TupleType i -> {
        if (!(written instanceof TupleType w) || w.elements().size() != i.elements().size()) yield null;
        List<Type> out = new ArrayList<>();
        for (int k = 0; k < i.elements().size(); k++) {
          Type e = merge(w.elements().get(k), i.elements().get(k));
          if (e == null) yield null;
          out.add(e);
        }
        yield new TupleType(out);
      }
      default -> written.equals(inferred) ? written : null;
    };
  }

  private static Shape mergeShape(Shape w, Shape i) {
    if (!i.isRanked()) return w;
    if (!w.isRanked()) return i;
    if (w.rank() != i.rank()) return null;
    List<Dim> out = new ArrayList<>();
    for (int k = 0; k < w.rank(); k++) {
      Dim a = w.dim(k), b = i.dim(k);
      if (b.isUnknown()) out.add(a);
      else if (a.isUnknown() || a.equals(b)) out.add(b);
      // A symbol the user wrote may be proven static by inference (after specialization): take the fact.
      else if (a.isSymbolic() && b.isStatic()) out.add(b);
      else return null;
    }
    return Shape.of(out);
  }
}
