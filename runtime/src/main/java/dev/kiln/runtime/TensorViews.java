package dev.kiln.runtime;

/**
 * Views: new shape and strides over the same storage. A view element at index {@code idx} lives at storage index
 * {@code offset + sum(idx[d] * strides[d])}, so permuting dims permutes strides, slicing moves the offset and
 * multiplies a stride by the step, and broadcasting sets a stride to 0.
 */
final class TensorViews {
  private TensorViews() {}

  static int dim(Tensor t, long d, int rank) {
    int r = Math.max(rank, 1);
    if (d < -r || d >= r) throw new IllegalArgumentException("dim " + d + " is out of range for rank " + t.rank());
    return (int) (d < 0 ? d + r : d);
  }

  static Tensor permute(Tensor t, int[] dims) {
    if (dims.length != t.rank()) throw new IllegalArgumentException("permute of rank " + t.rank() + " needs " + t.rank() + " dims");
    long[] shape = t.shape(), strides = t.strides(), ns = new long[dims.length], nst = new long[dims.length];
    boolean[] seen = new boolean[dims.length];
    for (int i = 0; i < dims.length; i++) {
      int d = dim(t, dims[i], t.rank());
      if (seen[d]) throw new IllegalArgumentException("permute repeats dim " + d);
      seen[d] = true;
      ns[i] = shape[d];
      nst[i] = strides[d];
    }
    return new Tensor(t.dtype(), ns, nst, t.offset(), t.storage());
  }

  static Tensor transpose(Tensor t, int d0, int d1) {
    if (t.rank() == 0) return t;
    int a = dim(t, d0, t.rank()), b = dim(t, d1, t.rank());
    int[] p = new int[t.rank()];
    for (int i = 0; i < p.length; i++) p[i] = i;
    p[a] = b;
    p[b] = a;
    return permute(t, p);
  }

  /** Python slicing: negative bounds count from the end, then both clamp to [0, n]. */
  static Tensor slice(Tensor t, int dimArg, long start, long end, long step) {
    if (step <= 0) throw new IllegalArgumentException("slice step must be positive, got " + step);
    int d = dim(t, dimArg, t.rank());
    long n = t.size(d);
    long s = start < 0 ? Math.max(start + n, 0) : Math.min(start, n);
    long e = end < 0 ? Math.max(end + n, 0) : Math.min(end, n);
    long len = e <= s ? 0 : (e - s + step - 1) / step;
    long[] shape = t.shape(), strides = t.strides();
    long offset = t.offset() + (len > 0 ? s * strides[d] : 0);
    shape[d] = len;
    strides[d] *= step;
    return new Tensor(t.dtype(), shape, strides, offset, t.storage());
  }

  static Tensor select(Tensor t, int dimArg, long index) {
    int d = dim(t, dimArg, t.rank());
    long n = t.size(d);
    if (index < -n || index >= n) throw new IndexOutOfBoundsException("index " + index + " is out of range for dim " + d + " of size " + n);
    long i = index < 0 ? index + n : index;
    long[] shape = t.shape(), strides = t.strides();
    long offset = t.offset() + i * strides[d];
    return new Tensor(t.dtype(), remove(shape, d), remove(strides, d), offset, t.storage());
  }

  static Tensor unsqueeze(Tensor t, int dimArg) {
    int d = dim(t, dimArg, t.rank() + 1);
    long[] shape = t.shape(), strides = t.strides();
    long stride = d < t.rank() ? strides[d] * shape[d] : 1;
    return new Tensor(t.dtype(), insert(shape, d, 1), insert(strides, d, stride), t.offset(), t.storage());
  }

  /** Drops dim {@code dimArg} if its size is 1; otherwise returns {@code t}. */
  static Tensor squeeze(Tensor t, int dimArg) {
    if (t.rank() == 0) return t;
    int d = dim(t, dimArg, t.rank());
    if (t.size(d) != 1) return t;
    return new Tensor(t.dtype(), remove(t.shape(), d), remove(t.strides(), d), t.offset(), t.storage());
  }

  static Tensor expand(Tensor t, long[] sizes) {
    int r = t.rank();
    if (sizes.length < r) throw new IllegalArgumentException("cannot expand " + Tensor.dims(t.shape()) + " to " + Tensor.dims(sizes));
    long[] shape = t.shape(), strides = t.strides();
    long[] ns = new long[sizes.length], nst = new long[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      int xi = i - (sizes.length - r);
      long in = xi >= 0 ? shape[xi] : 1;
      long want = sizes[i] == -1 ? in : sizes[i];
      if (sizes[i] == -1 && xi < 0) throw new IllegalArgumentException("-1 is not allowed for a new leading dim in " + Tensor.dims(sizes));
      if (in != want && in != 1) throw new IllegalArgumentException("cannot expand " + Tensor.dims(shape) + " to " + Tensor.dims(sizes));
      ns[i] = want;
      nst[i] = xi >= 0 && in == want ? strides[xi] : 0;
    }
    return new Tensor(t.dtype(), ns, nst, t.offset(), t.storage());
  }

  static Tensor reshape(Tensor t, long[] sizes) {
    long[] target = inferSizes(t.numel(), t.shape(), sizes);
    Tensor c = t.contiguous();
    return new Tensor(c.dtype(), target, Tensor.contiguousStrides(target), c.offset(), c.storage());
  }

  /** Resolves one -1 in {@code sizes} against {@code numel} elements. */
  static long[] inferSizes(long numel, long[] from, long[] sizes) {
    long[] out = sizes.clone();
    int infer = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == -1) {
        if (infer >= 0) throw new IllegalArgumentException("only one dim may be -1 in " + Tensor.dims(sizes));
        infer = i;
      } else if (out[i] < 0) {
        throw new IllegalArgumentException("invalid size " + out[i] + " in " + Tensor.dims(sizes));
      } else {
        known *= out[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || numel % known != 0)
        throw new IllegalArgumentException("cannot reshape " + Tensor.dims(from) + " to " + Tensor.dims(sizes));
      out[infer] = numel / known;
    } else if (known != numel) {
      throw new IllegalArgumentException("cannot reshape " + Tensor.dims(from) + " (" + numel + " elements) to " + Tensor.dims(sizes));
    }
    return out;
  }

  private static long[] remove(long[] a, int i) {
    long[] out = new long[a.length - 1];
    System.arraycopy(a, 0, out, 0, i);
    System.arraycopy(a, i + 1, out, i, a.length - i - 1);
    return out;
  }

  private static long[] insert(long[] a, int i, long v) {
    long[] out = new long[a.length + 1];
    System.arraycopy(a, 0, out, 0, i);
    out[i] = v;
    System.arraycopy(a, i, out, i + 1, a.length - i);
    return out;
  }
}
