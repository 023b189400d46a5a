package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Movement ops. Permute, transpose, slice, select, unsqueeze, squeeze and expand return views sharing storage;
 * reshape and flatten are views of contiguous tensors; cat, stack, index and index_select copy.
 */
final class ShapeKernels {
  private ShapeKernels() {}

  /** Reshape to the {@code shape} attribute, or to the run-time list operand when given; one size may be -1. */
  static Object reshape(KernelArgs a) {
    Tensor x = a.tensor(0);
    long[] sizes;
    if (a.has(1)) sizes = a.list(1).stream().mapToLong(v -> v instanceof Long l ? l : badSize(a, v)).toArray();
    else sizes = a.attrInts("shape");
    try {
      return x.reshape(sizes);
    } catch (IllegalArgumentException e) {
      throw a.fail(e.getMessage());
    }
  }

  private static long badSize(KernelArgs a, Object v) { throw a.fail("shape list holds " + Values.describe(v) + ", expected ints"); }

  static Object flatten(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (x.rank() == 0) return x.reshape(1);
    int s = a.dim(a.attrInt("start_dim"), x.rank()), e = a.dim(a.attrInt("end_dim"), x.rank());
    if (s > e) throw a.fail("start_dim " + s + " is after end_dim " + e);
    long[] shape = x.shape();
    long[] out = new long[shape.length - (e - s)];
    System.arraycopy(shape, 0, out, 0, s);
    out[s] = Tensor.numel(Arrays.copyOfRange(shape, s, e + 1));
    System.arraycopy(shape, e + 1, out, s + 1, shape.length - e - 1);
    return x.reshape(out);
  }

  static Object permute(KernelArgs a) {
    long[] d = a.attrInts("dims");
    return a.tensor(0).permute(Arrays.stream(d).mapToInt(Math::toIntExact).toArray());
  }

  static Object transpose(KernelArgs a) {
    Tensor x = a.tensor(0);
    return x.transpose(a.dim(a.attrInt("dim0"), x.rank()), a.dim(a.attrInt("dim1"), x.rank()));
  }

  static Object contiguous(KernelArgs a) { return a.tensor(0).contiguous(); }

  /** Joins along an existing dim: for each index of the outer dims, each input's block follows the previous one. */
  static Object cat(KernelArgs a) {
    if (a.count() == 0) throw a.fail("needs at least one tensor");
    DType d = Promotion.promote(a, a.all());
    Tensor first = a.tensor(0);
    int dim = a.dim(a.attrInt("dim"), first.rank());
    List<Tensor> parts = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < a.count(); i++) {
      Tensor t = a.tensor(i).to(d).contiguous();
      if (t.rank() != first.rank()) throw a.fail("operand " + i + " " + Values.describe(t) + " has a different rank than " + Values.describe(first));
      for (int k = 0; k < t.rank(); k++)
        if (k != dim && t.size(k) != first.size(k)) throw a.fail("operand " + i + " " + Values.describe(t) + " differs from " + Values.describe(first) + " in dim " + k);
      parts.add(t);
      total += t.size(dim);
    }
    long[] shape = first.shape();
    shape[dim] = total;
    Tensor out = Tensor.zeros(d, shape);
    long outer = Tensor.numel(Arrays.copyOf(shape, dim));
    long inner = Tensor.numel(Arrays.copyOfRange(shape, dim + 1, shape.length)) * d.byteSize();
    long dst = 0;
    for (long o = 0; o < outer; o++)
      for (Tensor t : parts) {
        long bytes = t.size(dim) * inner;
        MemorySegment.copy(t.segment(), o * bytes, out.segment(), dst, bytes);
        dst += bytes;
      }
    return out;
  }

  static Object stack(KernelArgs a) {
    if (a.count() == 0) throw a.fail("needs at least one tensor");
    int dim = a.dim(a.attrInt("dim"), a.tensor(0).rank() + 1);
    List<Object> parts = new ArrayList<>();
    for (int i = 0; i < a.count(); i++) {
      if (!Arrays.equals(a.tensor(i).shape(), a.tensor(0).shape()))
        throw a.fail("operand " + i + " " + Values.describe(a.tensor(i)) + " differs from " + Values.describe(a.tensor(0)));
      parts.add(a.tensor(i).unsqueeze(dim));
    }
    return cat(new KernelArgs(a.node(), parts));
  }

  /** Pieces of ceil(size/chunks) along dim, the last smaller (views). */
  static List<Object> chunk(KernelArgs a) {
    Tensor x = a.tensor(0);
    int d = a.dim(a.attrInt("dim"), x.rank());
    long n = a.attrInt("chunks");
    if (n <= 0) throw a.fail("chunks must be positive, got " + n);
    long piece = Math.max(1, Math.ceilDiv(x.size(d), n));
    List<Object> out = new ArrayList<>();
    for (long at = 0; at < x.size(d); at += piece) out.add(x.slice(d, at, at + piece, 1));
    return out;
  }

  static List<Object> split(KernelArgs a) {
    Tensor x = a.tensor(0);
    int d = a.dim(a.attrInt("dim"), x.rank());
    List<Object> out = new ArrayList<>();
    if (!a.attrIsNone("sizes")) {
      long at = 0;
      for (long s : a.attrInts("sizes")) {
        out.add(x.slice(d, at, at + s, 1));
        at += s;
      }
      if (at != x.size(d)) throw a.fail("sizes sum to " + at + " but dim " + d + " is " + x.size(d));
      return out;
    }
    long piece = a.attrInt("split_size");
    if (piece <= 0) throw a.fail("split_size must be positive, got " + piece);
    for (long at = 0; at < x.size(d); at += piece) out.add(x.slice(d, at, at + piece, 1));
    return out;
  }

  static Object slice(KernelArgs a) {
    Tensor x = a.tensor(0);
    long step = a.attrInt("step");
    if (step <= 0) throw a.fail("step must be positive, got " + step);
    return x.slice(a.dim(a.attrInt("dim"), x.rank()), a.attrInt("start"), a.attrInt("end"), step);
  }

  static Object select(KernelArgs a) {
    Tensor x = a.tensor(0);
    int d = a.dim(a.attrInt("dim"), x.rank());
    long i = a.attrInt("index");
    if (i < -x.size(d) || i >= x.size(d)) throw a.fail("index " + i + " is out of range for dim " + d + " of size " + x.size(d));
    return x.select(d, i);
  }

  static Object indexSelect(KernelArgs a) {
    Tensor x = a.tensor(0), idx = a.tensor(1);
    if (!idx.dtype().isInteger() || idx.rank() != 1) throw a.fail("index must be a 1-D integer tensor, got " + Values.describe(idx));
    int d = a.dim(a.attrInt("dim"), x.rank());
    Tensor moved = x.rank() == 0 ? x.reshape(1) : x.transpose(0, d);
    Tensor r = gatherRows(a, moved, idx.toLongArray(), idx.shape(), false);
    return x.rank() == 0 ? r.reshape() : r.transpose(0, d).contiguous();
  }

  /** x[index] on dim 0 with negative indices counted from the end. */
  static Object index(KernelArgs a) {
    Tensor x = a.tensor(0), idx = a.tensor(1);
    if (!idx.dtype().isInteger()) throw a.fail("index must be an integer tensor, got " + Values.describe(idx));
    if (x.rank() == 0) throw a.fail("cannot index a zero-dim tensor");
    return gatherRows(a, x, idx.toLongArray(), idx.shape(), true);
  }

  /** Rows {@code rows[i]} of {@code x} along dim 0, as a tensor of shape {@code rowsShape + x.shape[1:]}. */
  static Tensor gatherRows(KernelArgs a, Tensor x, long[] rows, long[] rowsShape, boolean negativeFromEnd) {
    Tensor c = x.contiguous();
    long n = c.size(0);
    long[] xs = c.shape();
    long rowBytes = Tensor.numel(Arrays.copyOfRange(xs, 1, xs.length)) * c.dtype().byteSize();
    long[] shape = LinalgKernels.concat(rowsShape, Arrays.copyOfRange(xs, 1, xs.length));
    Tensor out = Tensor.zeros(c.dtype(), shape);
    MemorySegment src = c.segment(), dst = out.segment();
    for (int i = 0; i < rows.length; i++) {
      long r = rows[i];
      if (negativeFromEnd && r < 0) r += n;
      if (r < 0 || r >= n) throw a.fail("index " + rows[i] + " is out of range for size " + n);
      MemorySegment.copy(src, r * rowBytes, dst, i * rowBytes, rowBytes);
    }
    return out;
  }

  static Object unsqueeze(KernelArgs a) {
    Tensor x = a.tensor(0);
    return x.unsqueeze(a.dim(a.attrInt("dim"), x.rank() + 1));
  }

  /** Drops the given dim if it is 1, or every dim of size 1. */
  static Object squeeze(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (!a.attrIsNone("dim")) return x.rank() == 0 ? x : x.squeeze(a.dim(a.attrInt("dim"), x.rank()));
    for (int d = x.rank() - 1; d >= 0; d--) x = x.squeeze(d);
    return x;
  }

  static Object expand(KernelArgs a) {
    try {
      return a.tensor(0).expand(a.attrInts("sizes"));
    } catch (IllegalArgumentException e) {
      throw a.fail(e.getMessage());
    }
  }

  static Object full(KernelArgs a) {
    long[] shape = a.attrInts("shape");
    double[] v = new double[Math.toIntExact(Tensor.numel(shape))];
    Arrays.fill(v, a.attrFloat("value"));
    return Tensor.ofDoubles(a.node().attrDType("dtype"), v, shape);
  }
}
