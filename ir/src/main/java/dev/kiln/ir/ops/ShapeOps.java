package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.AttrKind.INTS;
import static dev.kiln.ir.OpDef.Trait.MOVEMENT;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/** Ops that move, join or split elements without computing new values. */
public final class ShapeOps {
  private ShapeOps() {}

  /** A reshaped tensor type: a per-tensor quantized input keeps its scale and zero point (flatten of a quantized tensor). */
  private static List<Type> one(TensorType t, List<Dim> dims) {
    if (t.quant() != null && !t.quant().perChannel()) return List.of(new TensorType(t.dtype(), Shape.of(dims), dev.kiln.ir.Layout.CONTIGUOUS, t.quant()));
    return List.of(Type.tensor(t.dtype(), Shape.of(dims)));
  }

  /**
   * Reshape to {@code shape} (one entry may be -1), or to the run-time list operand {@code shape} when given
   * (then the result rank is unknown until shapes are specialized). view and reshape are the same op here.
   */
  public static final OpDef RESHAPE = OpDef.op("nn.reshape").summary("reshape (view): %y = nn.reshape(%x) {shape=[-1,512]} : f32[N,512]")
      .operands("x", "shape?").optAttr("shape", INTS).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.tensor(0);
        if (c.has(1)) {
          if (!(c.type(1) instanceof ListType l) || l.element() != PrimType.INT) throw c.fail("shape operand must be list<int>, got " + c.type(1).text());
          if (!c.attrIsNone("shape")) throw c.fail("give the shape as an attribute or as an operand, not both");
          return List.of(Type.tensor(x.dtype(), Shape.UNRANKED));
        }
        return one(x, reshapeDims(c, x.shape(), c.attrInts("shape")));
      }).build();

  static List<Dim> reshapeDims(TypeContext c, Shape in, long[] target) {
    int infer = -1;
    long known = 1;
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < target.length; i++) {
      if (target[i] == -1) {
        if (infer >= 0) throw c.fail("only one dim may be -1 in " + Shape.sizesToString(target));
        infer = i;
        out.add(Dim.UNKNOWN);
      } else if (target[i] < 0) {
        throw c.fail("invalid size " + target[i] + " in " + Shape.sizesToString(target));
      } else {
        known *= target[i];
        out.add(Dim.of(target[i]));
      }
    }
    if (!in.isRanked()) return out;
    long numel = in.numel();
    if (numel >= 0) {
      if (infer >= 0) {
        if (known == 0 || numel % known != 0) throw c.fail("cannot reshape " + in + " to " + Shape.sizesToString(target));
        out.set(infer, Dim.of(numel / known));
      } else if (numel != known) {
        throw c.fail("cannot reshape " + in + " (" + numel + " elements) to " + Shape.sizesToString(target));
      }
      return out;
    }
    // One symbolic dim times a static rest: -1 takes the symbol when the static parts match.
    Dim sym = null;
    List<Dim> rest = new ArrayList<>();
    for (Dim d : in.dims()) {
      if (d.isSymbolic() && sym == null) sym = d;
      else rest.add(d);
    }
    long restProduct = ShapeRules.staticProduct(rest);
    if (infer >= 0 && sym != null && restProduct >= 0 && restProduct == known) out.set(infer, sym);
    return out;
  }

  public static final OpDef FLATTEN = OpDef.op("nn.flatten").summary("merge dims start..end: %y = nn.flatten(%x) {start_dim=1} : f32[N,512]")
      .operands("x").attr("start_dim", INT, Attr.of(0L)).attr("end_dim", INT, Attr.of(-1L)).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        if (x.rank() == 0) return one(x, List.of(Dim.of(1)));
        int s = c.dim(c.attrInt("start_dim"), x.rank()), e = c.dim(c.attrInt("end_dim"), x.rank());
        if (s > e) throw c.fail("start_dim " + s + " is after end_dim " + e);
        List<Dim> out = new ArrayList<>(x.shape().dims().subList(0, s));
        List<Dim> merged = x.shape().dims().subList(s, e + 1);
        long p = ShapeRules.staticProduct(merged);
        out.add(merged.size() == 1 ? merged.get(0) : p >= 0 ? Dim.of(p) : Dim.UNKNOWN);
        out.addAll(x.shape().dims().subList(e + 1, x.rank()));
        return one(x, out);
      }).build();

  public static final OpDef PERMUTE = OpDef.op("nn.permute").summary("reorder dims: %y = nn.permute(%x) {dims=[0,2,3,1]} : f32[1,8,8,3]")
      .operands("x").attr("dims", INTS).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        long[] p = c.attrInts("dims");
        if (p.length != x.rank()) throw c.fail("dims " + Shape.sizesToString(p) + " do not match rank " + x.rank());
        boolean[] seen = new boolean[p.length];
        List<Dim> out = new ArrayList<>();
        for (long d : p) {
          int i = c.dim(d, x.rank());
          if (seen[i]) throw c.fail("dims " + Shape.sizesToString(p) + " repeat " + i);
          seen[i] = true;
          out.add(x.shape().dim(i));
        }
        return one(x, out);
      }).build();

  public static final OpDef TRANSPOSE = OpDef.op("nn.transpose").summary("swap two dims: %y = nn.transpose(%x) {dim0=1, dim1=2} : f32[2,4,3]")
      .operands("x").attr("dim0", INT).attr("dim1", INT).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        List<Dim> out = new ArrayList<>(x.shape().dims());
        int a = c.dim(c.attrInt("dim0"), x.rank()), b = c.dim(c.attrInt("dim1"), x.rank());
        if (x.rank() == 0) return one(x, out);
        out.set(a, x.shape().dim(b));
        out.set(b, x.shape().dim(a));
        return one(x, out);
      }).build();

  public static final OpDef CONTIGUOUS = OpDef.op("nn.contiguous").summary("same values in contiguous layout: %y = nn.contiguous(%x) : f32[2,3]")
      .operands("x").traits(PURE, MOVEMENT).rule(c -> List.of(Type.tensor(c.tensor(0).dtype(), c.tensor(0).shape()))).build();

  /** Joins along an existing dim; every other dim must match. */
  public static final OpDef CAT = OpDef.op("nn.cat").summary("concatenate: %y = nn.cat(%a, %b) {dim=1} : f32[1,6]")
      .operands("xs*").attr("dim", INT, Attr.of(0L)).traits(PURE, MOVEMENT).rule(c -> {
        if (c.numOperands() == 0) throw c.fail("needs at least one tensor");
        TensorType first = c.ranked(0);
        int d = c.dim(c.attrInt("dim"), first.rank());
        List<Dim> out = new ArrayList<>(first.shape().dims());
        long total = 0;
        for (int i = 0; i < c.numOperands(); i++) {
          TensorType t = c.ranked(i);
          if (t.rank() != first.rank()) throw c.fail("operand " + i + " " + t.text() + " has a different rank than " + first.text());
          for (int k = 0; k < t.rank(); k++)
            if (k != d && t.shape().dim(k).isStatic() && out.get(k).isStatic() && !t.shape().dim(k).equals(out.get(k)))
              throw c.fail("operand " + i + " " + t.text() + " differs from " + first.text() + " in dim " + k);
          Dim dd = t.shape().dim(d);
          total = total < 0 || !dd.isStatic() ? -1 : total + dd.size();
        }
        out.set(d, total < 0 ? Dim.UNKNOWN : Dim.of(total));
        return List.of(Type.tensor(ShapeRules.promote(c, c.operandTypes()), Shape.of(out)));
      }).build();

  /** Joins along a new dim; all shapes must be equal. */
  public static final OpDef STACK = OpDef.op("nn.stack").summary("stack on a new dim: %y = nn.stack(%a, %b) {dim=0} : f32[2,3]")
      .operands("xs*").attr("dim", INT, Attr.of(0L)).traits(PURE, MOVEMENT).rule(c -> {
        if (c.numOperands() == 0) throw c.fail("needs at least one tensor");
        TensorType first = c.ranked(0);
        for (int i = 1; i < c.numOperands(); i++)
          if (!c.ranked(i).shape().equals(first.shape())) throw c.fail("operand " + i + " " + c.type(i).text() + " differs from " + first.text());
        List<Dim> out = new ArrayList<>(first.shape().dims());
        out.add(c.dim(c.attrInt("dim"), first.rank() + 1), Dim.of(c.numOperands()));
        return List.of(Type.tensor(ShapeRules.promote(c, c.operandTypes()), Shape.of(out)));
      }).build();

  /** Splits into {@code chunks} pieces of ceil(size/chunks), the last smaller, as torch.chunk does. */
  public static final OpDef CHUNK = OpDef.op("nn.chunk").summary("split into n pieces: %a, %b = nn.chunk(%x) {chunks=2, dim=1} : (f32[1,2], f32[1,2])")
      .operands("x").attr("chunks", INT).attr("dim", INT, Attr.of(0L)).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        int d = c.dim(c.attrInt("dim"), x.rank());
        long n = c.attrInt("chunks");
        Dim size = x.shape().dim(d);
        if (n <= 0) throw c.fail("chunks must be positive, got " + n);
        if (!size.isStatic()) throw c.fail("dim " + d + " of " + x.text() + " must be static to chunk");
        long piece = Math.ceilDiv(size.size(), n);
        List<Long> sizes = new ArrayList<>();
        // torch.chunk of an empty dim gives `chunks` empty pieces; otherwise ceil(size / piece) pieces.
        if (size.size() == 0) for (long i = 0; i < n; i++) sizes.add(0L);
        for (long at = 0; at < size.size(); at += piece) sizes.add(Math.min(piece, size.size() - at));
        return pieces(x, d, sizes);
      }).build();

  /** Splits into pieces of {@code split_size} (the last smaller) or of the listed {@code sizes}. */
  public static final OpDef SPLIT = OpDef.op("nn.split").summary("split by size: %a, %b = nn.split(%x) {sizes=[2,1], dim=1} : (f32[1,2], f32[1,1])")
      .operands("x").optAttr("split_size", INT).optAttr("sizes", INTS).attr("dim", INT, Attr.of(0L)).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        int d = c.dim(c.attrInt("dim"), x.rank());
        Dim size = x.shape().dim(d);
        if (!size.isStatic()) throw c.fail("dim " + d + " of " + x.text() + " must be static to split");
        List<Long> sizes = new ArrayList<>();
        if (!c.attrIsNone("sizes") == !c.attrIsNone("split_size")) throw c.fail("give exactly one of split_size and sizes");
        if (!c.attrIsNone("sizes")) {
          long sum = 0;
          for (long s : c.attrInts("sizes")) {
            if (s < 0) throw c.fail("sizes " + Shape.sizesToString(c.attrInts("sizes")) + " must be non-negative");
            sizes.add(s);
            sum += s;
          }
          if (sum != size.size()) throw c.fail("sizes sum to " + sum + " but dim " + d + " is " + size.size());
        } else {
          long piece = c.attrInt("split_size");
          if (piece < 0 || piece == 0 && size.size() != 0) throw c.fail("split_size must be positive, got " + piece);
          // torch.split of an empty dim gives one empty piece.
          if (size.size() == 0) sizes.add(0L);
          for (long at = 0; at < size.size(); at += piece) sizes.add(Math.min(piece, size.size() - at));
        }
        return pieces(x, d, sizes);
      }).build();

  private static List<Type> pieces(TensorType x, int d, List<Long> sizes) {
    List<Type> out = new ArrayList<>();
    for (long s : sizes) {
      List<Dim> dims = new ArrayList<>(x.shape().dims());
      dims.set(d, Dim.of(s));
      out.add(Type.tensor(x.dtype(), Shape.of(dims)));
    }
    return out;
  }

  /** Python slicing x[start:end:step] on one dim; bounds clamp like Python's. */
  public static final OpDef SLICE = OpDef.op("nn.slice").summary("x[start:end:step] on dim: %y = nn.slice(%x) {dim=1, start=0, end=2, step=1} : f32[1,2]")
      .operands("x").attr("dim", INT, Attr.of(0L)).attr("start", INT, Attr.of(0L)).attr("end", INT, Attr.of(Long.MAX_VALUE))
      .attr("step", INT, Attr.of(1L)).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        int d = c.dim(c.attrInt("dim"), x.rank());
        long step = c.attrInt("step");
        if (step <= 0) throw c.fail("step must be positive, got " + step);
        List<Dim> out = new ArrayList<>(x.shape().dims());
        Dim size = x.shape().dim(d);
        out.set(d, size.isStatic() ? Dim.of(sliceLength(size.size(), c.attrInt("start"), c.attrInt("end"), step)) : Dim.UNKNOWN);
        return one(x, out);
      }).build();

  /** Number of elements of {@code [start:end:step]} over {@code n} elements, with Python's clamping. */
  public static long sliceLength(long n, long start, long end, long step) {
    long s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
    long e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
    return e <= s ? 0 : (e - s + step - 1) / step;
  }

  /** x[..., index, ...] on one dim, which disappears. */
  public static final OpDef SELECT = OpDef.op("nn.select").summary("pick one index, dropping the dim: %y = nn.select(%x) {dim=0, index=-1} : f32[3]")
      .operands("x").attr("dim", INT).attr("index", INT).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        if (x.rank() == 0) throw c.fail("cannot select from a zero-dim tensor " + x.text());
        int d = c.dim(c.attrInt("dim"), x.rank());
        Dim size = x.shape().dim(d);
        long i = c.attrInt("index");
        if (size.isStatic() && (i < -size.size() || i >= size.size())) throw c.fail("index " + i + " out of range for size " + size);
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.remove(d);
        return one(x, out);
      }).build();

  /** Rows of x along dim chosen by a 1-D integer tensor. */
  public static final OpDef INDEX_SELECT = OpDef.op("nn.index_select").summary("gather along dim: %y = nn.index_select(%x, %idx) {dim=0} : f32[5,3]")
      .operands("x", "index").attr("dim", INT, Attr.of(0L)).traits(PURE).rule(c -> {
        TensorType x = c.ranked(0);
        TensorType idx = c.rank(1, 1);
        if (!idx.dtype().isInteger()) throw c.fail("index must be an integer tensor, got " + idx.text());
        int d = c.dim(c.attrInt("dim"), x.rank());
        // A zero-dim input takes a one-element index and stays zero-dim, as in PyTorch.
        if (x.rank() == 0) {
          if (idx.shape().dim(0).isStatic() && !idx.shape().dim(0).is(1)) throw c.fail("a zero-dim input needs a one-element index, got " + idx.text());
          return one(x, List.of());
        }
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(d, idx.shape().dim(0));
        return one(x, out);
      }).build();

  /** x[index] with an integer tensor on dim 0: result shape index.shape + x.shape[1:]. */
  public static final OpDef INDEX = OpDef.op("nn.index").summary("advanced indexing on dim 0: %y = nn.index(%x, %idx) : f32[2,5,3]")
      .operands("x", "index").traits(PURE).rule(c -> {
        TensorType x = c.ranked(0);
        TensorType idx = c.ranked(1);
        if (!idx.dtype().isInteger()) throw c.fail("index must be an integer tensor, got " + idx.text());
        if (x.rank() == 0) throw c.fail("cannot index a zero-dim tensor");
        List<Dim> out = new ArrayList<>(idx.shape().dims());
        out.addAll(x.shape().dims().subList(1, x.rank()));
        return one(x, out);
      }).build();

  public static final OpDef UNSQUEEZE = OpDef.op("nn.unsqueeze").summary("insert a dim of 1: %y = nn.unsqueeze(%x) {dim=0} : f32[1,3]")
      .operands("x").attr("dim", INT).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.add(c.dim(c.attrInt("dim"), x.rank() + 1), Dim.of(1));
        return one(x, out);
      }).build();

  /** Drops the given dim if it is 1, or every dim of size 1 when no dim is given. */
  public static final OpDef SQUEEZE = OpDef.op("nn.squeeze").summary("drop dims of 1: %y = nn.squeeze(%x) {dim=0} : f32[3]")
      .operands("x").optAttr("dim", INT).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        List<Dim> out = new ArrayList<>(x.shape().dims());
        if (!c.attrIsNone("dim")) {
          if (x.rank() == 0) return one(x, out);
          int d = c.dim(c.attrInt("dim"), x.rank());
          if (out.get(d).is(1)) out.remove(d);
          else if (!out.get(d).isStatic()) throw c.fail("cannot tell whether dim " + d + " of " + x.text() + " is 1");
        } else {
          for (Dim d : out) if (!d.isStatic()) throw c.fail("cannot squeeze " + x.text() + " with non-static dims; give dim");
          out.removeIf(d -> d.is(1));
        }
        return one(x, out);
      }).build();

  /** Broadcasts to {@code sizes}; -1 keeps a dim, new leading dims may be added. */
  public static final OpDef EXPAND = OpDef.op("nn.expand").summary("broadcast to a shape: %y = nn.expand(%x) {sizes=[4,-1]} : f32[4,3]")
      .operands("x").attr("sizes", INTS).traits(PURE, MOVEMENT).rule(c -> {
        TensorType x = c.ranked(0);
        long[] s = c.attrInts("sizes");
        if (s.length < x.rank()) throw c.fail("sizes " + Shape.sizesToString(s) + " have fewer dims than " + x.text());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
          int xi = i - (s.length - x.rank());
          Dim in = xi >= 0 ? x.shape().dim(xi) : null;
          if (s[i] < -1) throw c.fail("invalid size " + s[i] + " in " + Shape.sizesToString(s));
          if (s[i] == -1) {
            if (in == null) throw c.fail("-1 is not allowed for a new leading dim");
            out.add(in);
          } else {
            if (in != null && in.isStatic() && !in.is(1) && !in.is(s[i])) throw c.fail("cannot expand " + x.text() + " to " + Shape.sizesToString(s));
            out.add(Dim.of(s[i]));
          }
        }
        return one(x, out);
      }).build();

  /** A tensor of {@code shape} filled with {@code value} (zeros, ones and full). */
  public static final OpDef FULL = OpDef.op("nn.full").summary("constant-filled tensor: %z = nn.full {shape=[2,3], value=0.0, dtype=f32} : f32[2,3]")
      .attr("shape", INTS).attr("value", dev.kiln.ir.OpDef.AttrKind.FLOAT, Attr.of(0.0)).attr("dtype", dev.kiln.ir.OpDef.AttrKind.DTYPE, new Attr.DTypeAttr(DType.F32))
      .traits(PURE).rule(c -> {
        for (long s : c.attrInts("shape")) if (s < 0) throw c.fail("negative size in shape " + Shape.sizesToString(c.attrInts("shape")));
        if (c.attrDType("dtype").isQuantized()) throw c.fail("cannot fill a quantized " + c.attrDType("dtype") + " tensor; fill f32 and quantize");
        return List.of(Type.tensor(c.attrDType("dtype"), Shape.of(c.attrInts("shape"))));
      }).build();

  public static final List<OpDef> ALL = List.of(RESHAPE, FLATTEN, PERMUTE, TRANSPOSE, CONTIGUOUS, CAT, STACK, CHUNK, SPLIT, SLICE,
      SELECT, INDEX_SELECT, INDEX, UNSQUEEZE, SQUEEZE, EXPAND, FULL);
}
