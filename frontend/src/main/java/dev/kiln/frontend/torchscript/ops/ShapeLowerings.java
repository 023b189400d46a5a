package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.ir.ops.ShapeOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sizes and ops that move elements: size, dim, numel, transpose, permute, select, slice (of tensors and of
 * Python lists), squeeze/unsqueeze, expand, repeat, chunk, split, cat, stack, index_select and constant pad.
 * Sizes of static dims fold to Longs; symbolic ones become {@code prim.size}.
 */
final class ShapeLowerings {
  private ShapeLowerings() {}

  static void register(Registrar r) {
    r.add(ShapeLowerings::size, "torch.size");
    r.add((cx, a, kw) -> {
      TensorType t = cx.typeOf(ElementwiseLowerings.x(cx, a));
      return t.shape().isRanked() ? (Object) (long) t.rank() : cx.emit(PrimOps.RANK, Map.of(), (Value) a.get(0));
    }, "torch.dim");
    r.add((cx, a, kw) -> {
      TensorType t = cx.typeOf(ElementwiseLowerings.x(cx, a));
      long n = t.shape().numel();
      return n >= 0 ? (Object) n : cx.emit(PrimOps.NUMEL, Map.of(), (Value) a.get(0));
    }, "torch.numel");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.TRANSPOSE, Builder.attrs("dim0", cx.constInt(get(a, 1, null), "dim0"),
        "dim1", cx.constInt(get(a, 2, null), "dim1")), ElementwiseLowerings.x(cx, a)), "torch.transpose", "torch.transpose_");
    r.add((cx, a, kw) -> {
      Value x = ElementwiseLowerings.x(cx, a);
      int rank = Args.rank(cx, x, "input");
      if (rank < 2) return x;
      return cx.emit(ShapeOps.TRANSPOSE, Builder.attrs("dim0", 0L, "dim1", 1L), x);
    }, "torch.t");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.PERMUTE, Builder.attrs("dims", cx.constInts(get(a, 1, null), "dims")),
        ElementwiseLowerings.x(cx, a)), "torch.permute");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.CONTIGUOUS, Map.of(), ElementwiseLowerings.x(cx, a)), "torch.contiguous");
    r.add(ShapeLowerings::select, "torch.select");
    r.add(ShapeLowerings::slice, "torch.slice");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.UNSQUEEZE, Builder.attrs("dim", cx.constInt(get(a, kw, 1, "dim", null), "dim")),
        ElementwiseLowerings.x(cx, a)), "torch.unsqueeze", "torch.unsqueeze_");
    r.add((cx, a, kw) -> {
      Object dim = get(a, kw, 1, "dim", null);
      return cx.emit(ShapeOps.SQUEEZE, dim == null ? Map.of() : Builder.attrs("dim", cx.constInt(dim, "dim")), ElementwiseLowerings.x(cx, a));
    }, "torch.squeeze", "torch.squeeze_");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.EXPAND, Builder.attrs("sizes", cx.constInts(get(a, kw, 1, "size", null), "size")),
        ElementwiseLowerings.x(cx, a)), "torch.expand");
    r.add(ShapeLowerings::repeat, "torch.repeat");
    r.add((cx, a, kw) -> new ArrayList<Object>(cx.emitMulti(ShapeOps.CHUNK, Builder.attrs("chunks", cx.constInt(get(a, kw, 1, "chunks", null), "chunks"),
        "dim", cx.constInt(get(a, kw, 2, "dim", 0L), "dim")), List.of(ElementwiseLowerings.x(cx, a)))), "torch.chunk");
    r.add(ShapeLowerings::split, "torch.split");
    r.add((cx, a, kw) -> cx.emitMulti(ShapeOps.CAT, Builder.attrs("dim", cx.constInt(get(a, kw, 1, "dim", 0L), "dim")),
        Args.tensors(cx, get(a, 0, null), "tensors")).get(0), "torch.cat");
    r.add((cx, a, kw) -> cx.emitMulti(ShapeOps.STACK, Builder.attrs("dim", cx.constInt(get(a, kw, 1, "dim", 0L), "dim")),
        Args.tensors(cx, get(a, 0, null), "tensors")).get(0), "torch.stack");
    r.add((cx, a, kw) -> cx.emit(ShapeOps.INDEX_SELECT, Builder.attrs("dim", cx.constInt(get(a, 1, null), "dim")),
        ElementwiseLowerings.x(cx, a), cx.tensor(get(a, 2, null), "index")), "torch.index_select");
    r.add(ShapeLowerings::pad, "torch.pad", "torch.constant_pad_nd");
  }

  /** size(x) is a list of Longs (static dims) and prim.size values; size(x, d) one of them. */
  private static Object size(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Value x = ElementwiseLowerings.x(cx, args);
    TensorType t = cx.typeOf(x);
    Object d = get(args, kw, 1, "dim", null);
    if (d != null) {
      if (!t.shape().isRanked()) return cx.emit(PrimOps.SIZE, Builder.attrs("dim", cx.constInt(d, "dim")), x);
      return dimSize(cx, x, Args.dim(cx, cx.constInt(d, "dim"), t.rank(), "dim"));
    }
    if (!t.shape().isRanked()) return cx.emit(PrimOps.SHAPE, Map.of(), x);
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < t.rank(); i++) out.add(dimSize(cx, x, i));
    return out;
  }

  /** The size of dim {@code i} (already normalized) as a Long when static, else a prim.size value. */
  static Object dimSize(LoweringContext cx, Value x, int i) {
    Dim dim = cx.typeOf(x).shape().dim(i);
    return dim.isStatic() ? (Object) dim.size() : cx.emit(PrimOps.SIZE, Builder.attrs("dim", (long) i), x);
  }

  private static Object select(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 3, "select(self, dim, index)");
    Value x = ElementwiseLowerings.x(cx, args);
    Object index = args.get(2);
    if (!cx.isConst(index)) throw cx.fail("select needs an index known while lowering, got " + Args.describe(index));
    return cx.emit(ShapeOps.SELECT, Builder.attrs("dim", cx.constInt(args.get(1), "dim"), "index", cx.constInt(index, "index")), x);
  }

  /** Tensor slice(x, dim=0, start=None, end=None, step=1), or list slice(l, start=None, end=None, step=1). */
  private static Object slice(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 1, "slice(self, ...)");
    Object self = args.get(0);
    if (!Args.isTensor(self)) {
      List<Object> l = Args.list(cx, self, "self");
      long n = l.size();
      long step = cx.constInt(get(args, kw, 3, "step", 1L), "step");
      if (step != 1) throw cx.fail("list slices with step " + step + " are not supported");
      Object s = get(args, kw, 1, "start", null), e = get(args, kw, 2, "end", null);
      long start = s == null ? 0 : clamp(cx.constInt(s, "start"), n), end = e == null ? n : clamp(cx.constInt(e, "end"), n);
      return new ArrayList<>(l.subList((int) start, (int) Math.max(start, end)));
    }
    Value x = (Value) self;
    Object start = get(args, kw, 2, "start", null), end = get(args, kw, 3, "end", null);
    long s = start == null ? 0 : cx.constInt(start, "start");
    long e = end == null ? Long.MAX_VALUE : cx.constInt(end, "end");
    long step = cx.constInt(get(args, kw, 4, "step", 1L), "step");
    long dim = cx.constInt(get(args, kw, 1, "dim", 0L), "dim");
    TensorType t = cx.typeOf(x);
    // x[0:huge:1] on a whole dim is the identity, which traced archives print after every indexing.
    if (s == 0 && step == 1 && t.shape().isRanked() && t.rank() > 0) {
      Dim d = t.shape().dim(Args.dim(cx, dim, t.rank(), "dim"));
      if (e == Long.MAX_VALUE || d.isStatic() && e >= d.size()) return x;
    }
    return cx.emit(ShapeOps.SLICE, Builder.attrs("dim", dim, "start", s, "end", e, "step", step), x);
  }

  private static long clamp(long i, long n) { return i < 0 ? Math.max(i + n, 0) : Math.min(i, n); }

  private static Object split(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Value x = ElementwiseLowerings.x(cx, args);
    Object sizes = get(args, kw, 1, "split_size", null);
    long dim = cx.constInt(get(args, kw, 2, "dim", 0L), "dim");
    Map<String, Attr> attrs = sizes instanceof List<?> ? Builder.attrs("sizes", cx.constInts(sizes, "split_sizes"))
        : Builder.attrs("split_size", cx.constInt(sizes, "split_size"));
    attrs.put("dim", Attr.of(dim));
    return new ArrayList<Object>(cx.emitMulti(ShapeOps.SPLIT, attrs, List.of(x)));
  }

  /** repeat(x, counts): for each dim with count c > 1, concatenate c copies along it (leading new dims first). */
  private static Object repeat(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Value x = ElementwiseLowerings.x(cx, args);
    long[] counts = cx.constInts(get(args, kw, 1, "repeats", null), "repeats");
    int rank = Args.rank(cx, x, "input");
    if (counts.length < rank) throw cx.fail("repeat needs at least " + rank + " counts, got " + counts.length);
    for (int i = rank; i < counts.length; i++) x = cx.emit(ShapeOps.UNSQUEEZE, Builder.attrs("dim", 0L), x);
    for (int d = 0; d < counts.length; d++) {
      if (counts[d] < 0) throw cx.fail("repeat counts must be non-negative, got " + counts[d]);
      if (counts[d] == 1) continue;
      List<Value> copies = new ArrayList<>();
      for (long c = 0; c < counts[d]; c++) copies.add(x);
      if (copies.isEmpty()) throw cx.fail("repeat count 0 is not supported");
      x = cx.emitMulti(ShapeOps.CAT, Builder.attrs("dim", (long) d), copies).get(0);
    }
    return x;
  }

  /**
   * Constant padding (the default mode of torch.nn.functional.pad): pads are (left, right) pairs from the last dim
   * backwards; each side becomes an nn.full block joined by nn.cat. Needs static shapes and non-negative pads.
   */
  private static Object pad(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Value x = ElementwiseLowerings.x(cx, args);
    long[] pads = cx.constInts(get(args, kw, 1, "pad", null), "pad");
    Object mode = get(args, kw, 2, "mode", "constant");
    if (!"constant".equals(mode)) throw cx.fail("only constant padding is supported, got mode " + Args.describe(mode));
    Object valueArg = get(args, kw, 3, "value", null);
    double value = valueArg == null ? 0.0 : cx.constFloat(valueArg, "value");
    if (pads.length % 2 != 0) throw cx.fail("pad needs (left, right) pairs, got " + pads.length + " numbers");
    for (int p = 0; p < pads.length / 2; p++) {
      long left = pads[2 * p], right = pads[2 * p + 1];
      if (left < 0 || right < 0) throw cx.fail("negative padding is not supported");
      TensorType t = cx.typeOf(x);
      if (!t.shape().isStatic()) throw cx.fail("padding needs a static shape, got " + t.text());
      int d = t.rank() - 1 - p;
      if (d < 0) throw cx.fail("pad has more pairs than " + t.text() + " has dims");
      List<Value> parts = new ArrayList<>();
      if (left > 0) parts.add(filled(cx, t, d, left, value));
      parts.add(x);
      if (right > 0) parts.add(filled(cx, t, d, right, value));
      if (parts.size() > 1) x = cx.emitMulti(ShapeOps.CAT, Builder.attrs("dim", (long) d), parts).get(0);
    }
    return x;
  }

  private static Value filled(LoweringContext cx, TensorType t, int d, long n, double value) {
    long[] shape = t.shape().sizes();
    shape[d] = n;
    return cx.emit(ShapeOps.FULL, Builder.attrs("shape", shape, "value", value, "dtype", t.dtype()));
  }
}
