package dev.kiln.ir.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/** Shape and dtype rules shared by op families, following PyTorch's semantics. */
public final class ShapeRules {
  private ShapeRules() {}

  /**
   * PyTorch broadcasting: align from the right, a dim of 1 stretches. A symbol against a concrete size c != 1
   * gives c (the run time checks that the symbol is c or 1); two different symbols give an unknown dim.
   */
  public static Shape broadcast(TypeContext c, Shape a, Shape b) {
    if (!a.isRanked() || !b.isRanked()) return Shape.UNRANKED;
    int r = Math.max(a.rank(), b.rank());
    List<Dim> out = new ArrayList<>(r);
    for (int i = 0; i < r; i++) {
      int ia = a.rank() - r + i, ib = b.rank() - r + i;
      Dim da = ia >= 0 ? a.dim(ia) : Dim.of(1);
      Dim db = ib >= 0 ? b.dim(ib) : Dim.of(1);
      out.add(broadcastDim(c, a, b, da, db));
    }
    return Shape.of(out);
  }

  private static Dim broadcastDim(TypeContext c, Shape a, Shape b, Dim da, Dim db) {
    if (da.equals(db)) return da;
    if (da.is(1)) return db;
    if (db.is(1)) return da;
    if (da.isStatic() && db.isStatic())
      throw c.fail("shapes " + a + " and " + b + " do not broadcast");
    if (da.isStatic()) return da;
    if (db.isStatic()) return db;
    return Dim.UNKNOWN;
  }

  /** Category of a dtype for promotion: 0 bool, 1 integer, 2 floating. */
  private static int category(DType d) {
    if (d == DType.BOOL) return 0;
    return d.isFloat() ? 2 : 1;
  }

  /**
   * PyTorch type promotion over tensors and scalars: the highest category (bool < int < float) wins; within
   * it, dimensioned tensors outrank zero-dim tensors, which outrank Python scalars; the widest dtype among the
   * top rank wins. A float scalar promoting an int tensor gives f32 (the default dtype).
   */
  public static DType promote(TypeContext c, List<Type> types) {
    List<DType> dtypes = new ArrayList<>();
    List<Integer> priorities = new ArrayList<>();
    for (Type t : types) {
      dtypes.add(dtypeOf(c, t));
      priorities.add(priority(t));
    }
    return promote(dtypes, priorities);
  }

  /**
   * The same rule over operands given as dtypes with their rank: priority 2 for a dimensioned tensor, 1 for a
   * zero-dim tensor, 0 for a number (whose dtype is f64, i64 or bool). Shared with the runtime's kernels.
   */
  public static DType promote(List<DType> dtypes, List<Integer> priorities) {
    int bestCat = -1;
    for (DType d : dtypes) bestCat = Math.max(bestCat, category(d));
    int bestPrio = -1;
    DType best = null;
    for (int i = 0; i < dtypes.size(); i++) {
      DType d = dtypes.get(i);
      if (category(d) != bestCat) continue;
      int prio = priorities.get(i);
      if (prio > bestPrio) {
        bestPrio = prio;
        best = d;
      } else if (prio == bestPrio && d != best) {
        best = wider(best, d);
      }
    }
    if (bestPrio == 0 && best == DType.F64) return DType.F32;
    return best;
  }

  /** The smaller dtype holding both, same category: f16 and bf16 meet at f32, i8 and u8 at i16 (as PyTorch). */
  private static DType wider(DType a, DType b) {
    if (a.byteSize() != b.byteSize()) return a.byteSize() > b.byteSize() ? a : b;
    if (a.isFloat()) return DType.F32;
    if (a.isInteger()) return DType.I16;
    return a;
  }

  private static int priority(Type t) {
    if (t instanceof TensorType tt) return tt.shape().isRanked() && tt.rank() == 0 ? 1 : 2;
    return 0;
  }

  private static DType dtypeOf(TypeContext c, Type t) {
    if (t instanceof TensorType tt) {
      if (tt.dtype().isQuantized()) throw c.fail("quantized " + tt.text() + " needs a quantized op");
      return tt.dtype();
    }
    if (t == PrimType.FLOAT) return DType.F64;
    if (t == PrimType.INT) return DType.I64;
    if (t == PrimType.BOOL) return DType.BOOL;
    throw c.fail("operand of type " + t.text() + " is neither a tensor nor a number");
  }

  /** Output size of a convolution or pooling window along one dim; unknown in, unknown out. */
  public static Dim window(Dim in, long kernel, long stride, long pad, long dilation, boolean ceil) {
    if (!in.isStatic()) return Dim.UNKNOWN;
    long eff = dilation * (kernel - 1) + 1;
    long span = in.size() + 2 * pad - eff;
    if (span < 0) return Dim.of(0);
    long out = (ceil ? Math.ceilDiv(span, stride) : Math.floorDiv(span, stride)) + 1;
    // PyTorch: with ceil_mode the last window must start inside the input or left padding.
    if (ceil && (out - 1) * stride >= in.size() + pad) out--;
    return Dim.of(out);
  }

  /** Expands an int-list attribute of length 1 to {@code n} entries (PyTorch accepts {@code stride=2}). */
  public static long[] expand(TypeContext c, String attr, long[] v, int n) {
    if (v.length == n) return v;
    if (v.length == 1) {
      long[] out = new long[n];
      java.util.Arrays.fill(out, v[0]);
      return out;
    }
    throw c.fail("attribute '" + attr + "' needs " + n + " values, got " + v.length);
  }

  /** The same tensor type with another shape (layout reset to contiguous, no quantization). */
  public static TensorType like(TensorType t, Shape s) { return Type.tensor(t.dtype(), s); }

  /** Product of static dims, or -1 if some dim is not static. */
  public static long staticProduct(List<Dim> dims) {
    long p = 1;
    for (Dim d : dims) {
      if (!d.isStatic()) return -1;
      p *= d.size();
    }
    return p;
  }
}
