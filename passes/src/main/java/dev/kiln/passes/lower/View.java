package dev.kiln.passes.lower;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;

/**
 * How the elements of a logical tensor sit in a flat buffer: element {@code idx} is at
 * {@code offset + sum(idx[d] * strides[d])}. Movement ops (permute, slice, expand, ...) become views of their
 * operand, so a copy loop or an elementwise loop reads through them with index arithmetic and nothing is
 * materialized in between. Channels-last buffers are views with strides {@code [H*W*C, 1, W*C, C]}. Immutable.
 */
record View(String buffer, KType type, long[] shape, long[] strides, long offset) {

  /** A dense buffer of logical {@code shape}; {@code nhwc} stores a 4-D shape channels-last. */
  static View dense(String buffer, KType type, long[] shape, boolean nhwc) {
    long[] st = new long[shape.length];
    if (nhwc) {
      long n = shape[1], h = shape[2], w = shape[3];
      st[0] = h * w * n;
      st[1] = 1;
      st[2] = w * n;
      st[3] = n;
    } else {
      long s = 1;
      for (int d = shape.length - 1; d >= 0; d--) {
        st[d] = s;
        s *= shape[d];
      }
    }
    return new View(buffer, type, shape.clone(), st, 0);
  }

  int rank() { return shape.length; }

  long numel() {
    long n = 1;
    for (long s : shape) n *= s;
    return n;
  }

  /** The flat index of logical element {@code idx} (int expressions, one per dim). */
  Expr index(Expr[] idx) {
    Expr e = Expr.i32(offset);
    for (int d = 0; d < shape.length; d++) if (shape[d] != 1 && strides[d] != 0) e = Expr.add(e, Expr.mul(idx[d], Expr.i32(strides[d])));
    return e;
  }

  Expr load(Expr[] idx) { return new Expr.Load(buffer, type, index(idx)); }

  /** True when logical order is storage order from offset 0 without gaps (row-major contiguous). */
  boolean isRowMajor() {
    long want = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != want) return false;
      want *= shape[d];
    }
    return offset == 0;
  }

  /** Same elements at the same positions as {@code o} (so one flat index serves both). */
  boolean sameLayout(View o) {
    if (offset != o.offset || !java.util.Arrays.equals(shape, o.shape)) return false;
    for (int d = 0; d < shape.length; d++) if (shape[d] != 1 && strides[d] != o.strides[d]) return false;
    return true;
  }

  /** NumPy broadcasting to {@code out}: dims are right-aligned, missing and size-1 dims get stride 0. */
  View broadcastTo(long[] out) {
    long[] st = new long[out.length];
    int lead = out.length - shape.length;
    if (lead < 0) throw new Unsupported("cannot broadcast " + java.util.Arrays.toString(shape) + " to " + java.util.Arrays.toString(out));
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == out[d + lead]) st[d + lead] = shape[d] == 1 ? 0 : strides[d];
      else if (shape[d] == 1) st[d + lead] = 0;
      else throw new Unsupported("cannot broadcast " + java.util.Arrays.toString(shape) + " to " + java.util.Arrays.toString(out));
    }
    return new View(buffer, type, out.clone(), st, offset);
  }

  View permute(int[] dims) {
    long[] sh = new long[dims.length], st = new long[dims.length];
    for (int i = 0; i < dims.length; i++) {
      sh[i] = shape[dims[i]];
      st[i] = strides[dims[i]];
    }
    return new View(buffer, type, sh, st, offset);
  }

  View slice(int dim, long start, long len, long step) {
    long[] sh = shape.clone(), st = strides.clone();
    sh[dim] = len;
    st[dim] = strides[dim] * step;
    return new View(buffer, type, sh, st, offset + start * strides[dim]);
  }

  View select(int dim, long index) {
    long[] sh = new long[shape.length - 1], st = new long[shape.length - 1];
    for (int d = 0, j = 0; d < shape.length; d++) if (d != dim) { sh[j] = shape[d]; st[j++] = strides[d]; }
    return new View(buffer, type, sh, st, offset + index * strides[dim]);
  }

  View unsqueeze(int dim) {
    long[] sh = new long[shape.length + 1], st = new long[shape.length + 1];
    for (int d = 0, j = 0; d <= shape.length; d++) {
      if (d == dim) { sh[d] = 1; st[d] = 0; }
      else { sh[d] = shape[j]; st[d] = strides[j++]; }
    }
    return new View(buffer, type, sh, st, offset);
  }

  /**
   * The reshape of a strided view without a copy, or null when its elements cannot be addressed by strides in the
   * new shape. The old dims (size-1 dims dropped) fall into runs whose memory is one arithmetic progression
   * (stride[d] == size[d+1] * stride[d+1]); each run must be covered exactly by consecutive new dims, which then
   * take row-major strides based on the run's innermost stride. E.g. a slice [1,10,128] of a [1,10,384] buffer
   * reshaped to [1,10,4,32] gets strides [3840,384,32,1].
   */
  View reshapeStrided(long[] to) {
    if (isRowMajor()) return dense(buffer, type, to, false).at(offset);
    int m = 0;
    long[] s = new long[shape.length], t = new long[shape.length];
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 0) return null;
      if (shape[d] != 1) { s[m] = shape[d]; t[m++] = strides[d]; }
    }
    long[] st = new long[to.length];
    int v = to.length - 1;
    long base = m == 0 ? 1 : t[m - 1], runNumel = 1, viewNumel = 1;
    for (int d = m - 1; d >= 0; d--) {
      runNumel *= s[d];
      boolean runEnds = d == 0 || t[d - 1] != runNumel * base;
      if (!runEnds) continue;
      while (v >= 0 && (viewNumel < runNumel || to[v] == 1)) {
        st[v] = viewNumel * base;
        viewNumel *= to[v];
        v--;
      }
      if (viewNumel != runNumel) return null;
      if (d > 0) { base = t[d - 1]; runNumel = 1; viewNumel = 1; }
    }
    while (v >= 0) {
      if (to[v] != 1) return null;
      st[v--] = 0;
    }
    return new View(buffer, type, to.clone(), st, offset);
  }

  /** The same view starting at element {@code off}. */
  View at(long off) { return new View(buffer, type, shape, strides, off); }

  /** A reshape: only when the view is row-major (otherwise the caller copies first). */
  View reshape(long[] to) {
    if (!isRowMajor()) throw new Unsupported("reshape of a strided view");
    return dense(buffer, type, to, false);
  }

  /** The same view with its buffer renamed. */
  View on(String other) { return new View(other, type, shape, strides, offset); }
}
