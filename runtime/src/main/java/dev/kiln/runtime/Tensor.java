package dev.kiln.runtime;

import dev.kiln.ir.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * An n-dimensional array: dtype, shape, element strides and a storage offset over a {@link MemorySegment} that
 * native code can share without copies. Tensors are treated as immutable values: kernels never write into a tensor
 * they did not just allocate. Tensors made in Java use heap segments over a primitive array (float[] for f32 and so
 * on, see {@link #floatData()}); views ({@link TensorViews}) share storage with non-contiguous strides.
 *
 * <p>Factories named {@code from*} copy their array; {@link #wrapFloats} shares it.
 */
public final class Tensor {
  private final DType dtype;
  private final long[] shape;
  private final long[] strides;
  private final long offset;
  private final MemorySegment storage;

  /** A view over {@code storage}; strides and offset count elements. Arrays are not copied: callers pass fresh ones. */
  Tensor(DType dtype, long[] shape, long[] strides, long offset, MemorySegment storage) {
    this.dtype = dtype;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.storage = storage;
  }

  // ---- factories

  /** A contiguous tensor over {@code storage} (shared, not copied) holding elements of {@code dtype}. */
  public static Tensor of(DType dtype, MemorySegment storage, long... shape) {
    long n = numel(shape);
    if (storage.byteSize() < n * dtype.byteSize())
      throw new IllegalArgumentException("segment of " + storage.byteSize() + " bytes is too small for " + dtype + dims(shape));
    return new Tensor(dtype, shape.clone(), contiguousStrides(shape), 0, storage);
  }

  /** A zero-filled contiguous tensor. */
  public static Tensor zeros(DType dtype, long... shape) {
    return new Tensor(dtype, shape.clone(), contiguousStrides(shape), 0, Storage.allocate(dtype, numel(shape)));
  }

  public static Tensor fromFloats(float[] data, long... shape) { return wrapFloats(data.clone(), shape); }

  /** Shares {@code data} (no copy): the tensor sees later writes to the array, so do not write to it. */
  public static Tensor wrapFloats(float[] data, long... shape) {
    checkCount(data.length, shape);
    return new Tensor(DType.F32, shape.clone(), contiguousStrides(shape), 0, MemorySegment.ofArray(data));
  }

  public static Tensor fromDoubles(double[] data, long... shape) {
    checkCount(data.length, shape);
    return new Tensor(DType.F64, shape.clone(), contiguousStrides(shape), 0, MemorySegment.ofArray(data.clone()));
  }

  public static Tensor fromLongs(long[] data, long... shape) {
    checkCount(data.length, shape);
    return new Tensor(DType.I64, shape.clone(), contiguousStrides(shape), 0, MemorySegment.ofArray(data.clone()));
  }

  public static Tensor fromInts(int[] data, long... shape) {
    checkCount(data.length, shape);
    return new Tensor(DType.I32, shape.clone(), contiguousStrides(shape), 0, MemorySegment.ofArray(data.clone()));
  }

  public static Tensor fromBools(boolean[] data, long... shape) {
    checkCount(data.length, shape);
    byte[] b = new byte[data.length];
    for (int i = 0; i < b.length; i++) b[i] = (byte) (data[i] ? 1 : 0);
    return new Tensor(DType.BOOL, shape.clone(), contiguousStrides(shape), 0, MemorySegment.ofArray(b));
  }

  /** A tensor of {@code dtype} holding {@code values} converted (integers truncate toward zero, bool is != 0). */
  public static Tensor ofDoubles(DType dtype, double[] values, long... shape) {
    checkCount(values.length, shape);
    if (dtype == DType.F64) return fromDoubles(values, shape);
    if (dtype == DType.F32) {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
      return wrapFloats(f, shape);
    }
    Tensor t = zeros(dtype, shape);
    for (int i = 0; i < values.length; i++) Storage.setDouble(t.storage, dtype, i, values[i]);
    return t;
  }

  /** A tensor of {@code dtype} holding {@code values} converted (wrapping for narrow integers, != 0 for bool). */
  public static Tensor ofLongs(DType dtype, long[] values, long... shape) {
    checkCount(values.length, shape);
    if (dtype == DType.I64) return fromLongs(values, shape);
    Tensor t = zeros(dtype, shape);
    for (int i = 0; i < values.length; i++) Storage.setLong(t.storage, dtype, i, values[i]);
    return t;
  }

  /** A zero-dim tensor holding {@code v} converted to {@code dtype}. */
  public static Tensor scalar(DType dtype, double v) { return ofDoubles(dtype, new double[] {v}); }

  // ---- accessors

  public DType dtype() { return dtype; }

  /** The sizes (a copy). */
  public long[] shape() { return shape.clone(); }

  public int rank() { return shape.length; }

  /** Size of dim {@code d}; negative {@code d} counts from the end. */
  public long size(int d) { return shape[d < 0 ? d + shape.length : d]; }

  /** Element strides (a copy); 0 marks a broadcast dim of an expanded view. */
  public long[] strides() { return strides.clone(); }

  /** Element offset of the first element in {@link #storage()}. */
  public long offset() { return offset; }

  /** The whole underlying storage, shared with views; see {@link #segment()} for just this tensor's elements. */
  public MemorySegment storage() { return storage; }

  public long numel() { return numel(shape); }

  /** True when elements are stored in row-major order without gaps (dims of size 1 may have any stride). */
  public boolean isContiguous() {
    long want = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && strides[d] != want) return false;
      want *= shape[d];
    }
    return true;
  }

  /**
   * This tensor's elements in row-major order, shared with native code without a copy when the tensor is
   * contiguous; a view with other strides is copied first ({@link #contiguous()}).
   */
  public MemorySegment segment() {
    if (!isContiguous()) return contiguous().segment();
    long bytes = dtype.byteSize();
    return storage.asSlice(offset * bytes, numel() * bytes);
  }

  /** This tensor if contiguous, else a contiguous copy with the same values. */
  public Tensor contiguous() {
    if (isContiguous()) return this;
    Tensor out = zeros(dtype, shape);
    long n = numel();
    if (n == 0) return out;
    long[] idx = new long[shape.length];
    int bytes = dtype.byteSize();
    for (long i = 0; i < n; i++) {
      long src = storageIndex(idx);
      MemorySegment.copy(storage, src * bytes, out.storage, i * bytes, bytes);
      increment(idx);
    }
    return out;
  }

  /** Storage index of the element at {@code idx}. */
  long storageIndex(long[] idx) {
    long s = offset;
    for (int d = 0; d < idx.length; d++) s += idx[d] * strides[d];
    return s;
  }

  /** Row-major odometer step over this tensor's shape. */
  void increment(long[] idx) {
    for (int d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) return;
      idx[d] = 0;
    }
  }

  /** Storage index of the element at row-major position {@code flat}. */
  long storageIndexOf(long flat) {
    long s = offset;
    for (int d = shape.length - 1; d >= 0; d--) {
      s += (flat % shape[d]) * strides[d];
      flat /= shape[d];
    }
    return s;
  }

  /** The element at row-major position {@code flat}, as a double. */
  public double doubleAt(long flat) { return Storage.getDouble(storage, dtype, storageIndexOf(checkFlat(flat))); }

  /** The element at row-major position {@code flat}, as a long (floats truncated toward zero). */
  public long longAt(long flat) { return Storage.getLong(storage, dtype, storageIndexOf(checkFlat(flat))); }

  private long checkFlat(long flat) {
    if (flat < 0 || flat >= numel()) throw new IndexOutOfBoundsException("element " + flat + " of " + dtype + dims(shape));
    return flat;
  }

  // ---- bulk conversion

  /** All elements in row-major order converted to float (a fresh array). */
  public float[] toFloatArray() {
    Tensor c = contiguous();
    float[] out = new float[checkedSize()];
    if (dtype == DType.F32) {
      MemorySegment.copy(c.storage, Storage.F, c.offset * 4, out, 0, out.length);
    } else {
      for (int i = 0; i < out.length; i++) out[i] = (float) Storage.getDouble(c.storage, dtype, c.offset + i);
    }
    return out;
  }

  /**
   * The elements as float: the backing array itself when this is a contiguous f32 tensor covering its whole heap
   * array (no copy: callers must not write to it), otherwise a fresh converted copy. For kernels that only read.
   */
  public float[] floatData() {
    if (dtype == DType.F32 && isContiguous() && storage.heapBase().orElse(null) instanceof float[] a
        && storage.address() + offset * 4 == 0 && a.length == numel()) return a;
    return toFloatArray();
  }

  /** All elements in row-major order converted to double (a fresh array). */
  public double[] toDoubleArray() {
    Tensor c = contiguous();
    double[] out = new double[checkedSize()];
    if (dtype == DType.F64) MemorySegment.copy(c.storage, Storage.D, c.offset * 8, out, 0, out.length);
    else for (int i = 0; i < out.length; i++) out[i] = Storage.getDouble(c.storage, dtype, c.offset + i);
    return out;
  }

  /** All elements in row-major order as long (floats truncated toward zero, bool as 0/1; a fresh array). */
  public long[] toLongArray() {
    Tensor c = contiguous();
    long[] out = new long[checkedSize()];
    if (dtype == DType.I64) MemorySegment.copy(c.storage, Storage.L, c.offset * 8, out, 0, out.length);
    else for (int i = 0; i < out.length; i++) out[i] = Storage.getLong(c.storage, dtype, c.offset + i);
    return out;
  }

  private int checkedSize() {
    long n = numel();
    if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException(n + " elements do not fit a Java array");
    return (int) n;
  }

  /** The same values converted to {@code to} (float to integer truncates toward zero, to bool is != 0). */
  public Tensor to(DType to) {
    if (to == dtype) return this;
    if (to.isFloat() || to == DType.BOOL && dtype.isFloat()) return ofDoubles(to, toDoubleArray(), shape);
    return ofLongs(to, toLongArray(), shape);
  }

  // ---- views (see TensorViews for the index algebra)

  public Tensor permute(int... dims) { return TensorViews.permute(this, dims); }

  public Tensor transpose(int d0, int d1) { return TensorViews.transpose(this, d0, d1); }

  /** Python's {@code x[start:end:step]} on {@code dim}, with Python's clamping of start and end. */
  public Tensor slice(int dim, long start, long end, long step) { return TensorViews.slice(this, dim, start, end, step); }

  /** {@code x[..., index, ...]} on {@code dim} (negative index counts from the end); the dim disappears. */
  public Tensor select(int dim, long index) { return TensorViews.select(this, dim, index); }

  public Tensor unsqueeze(int dim) { return TensorViews.unsqueeze(this, dim); }

  /** Drops {@code dim} when its size is 1, else returns this tensor. */
  public Tensor squeeze(int dim) { return TensorViews.squeeze(this, dim); }

  /** Broadcasts to {@code sizes} (-1 keeps a dim) as a view with zero strides. */
  public Tensor expand(long... sizes) { return TensorViews.expand(this, sizes); }

  /** Same elements in a new shape (one size may be -1): a view when contiguous, else a copy. */
  public Tensor reshape(long... sizes) { return TensorViews.reshape(this, sizes); }

  // ---- comparison helpers for tests

  /**
   * True when shapes are equal and every element satisfies {@code |a - b| <= atol + rtol * |b|} (b from
   * {@code other}); NaNs must sit in the same places.
   */
  public boolean allClose(Tensor other, double atol, double rtol) {
    if (!Arrays.equals(shape, other.shape)) return false;
    double[] a = toDoubleArray(), b = other.toDoubleArray();
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
        if (Double.isNaN(a[i]) != Double.isNaN(b[i])) return false;
        continue;
      }
      if (a[i] == b[i]) continue;
      if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) return false;
    }
    return true;
  }

  /** Largest elementwise |a - b|; NaN if a NaN sits in one tensor only; throws if shapes differ. */
  public double maxAbsDiff(Tensor other) {
    if (!Arrays.equals(shape, other.shape))
      throw new IllegalArgumentException("shapes differ: " + dims(shape) + " vs " + dims(other.shape));
    double[] a = toDoubleArray(), b = other.toDoubleArray();
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      if (Double.isNaN(a[i]) && Double.isNaN(b[i])) continue;
      if (Double.isNaN(a[i]) || Double.isNaN(b[i])) return Double.NaN;
      if (a[i] == b[i]) continue;
      m = Math.max(m, Math.abs(a[i] - b[i]));
    }
    return m;
  }

  /** {@code f32[2,3] [0.5, 1.0, ...]}: dtype, shape and up to the first 8 values. */
  @Override public String toString() {
    StringBuilder sb = new StringBuilder(dtype.text()).append(dims(shape)).append(" [");
    long n = Math.min(numel(), 8);
    for (long i = 0; i < n; i++) {
      if (i > 0) sb.append(", ");
      if (dtype.isFloat()) sb.append(doubleAt(i));
      else if (dtype == DType.BOOL) sb.append(longAt(i) != 0);
      else sb.append(longAt(i));
    }
    if (numel() > n) sb.append(", ...");
    return sb.append(']').toString();
  }

  // ---- shape utilities

  public static long numel(long[] shape) {
    long n = 1;
    for (long s : shape) {
      if (s < 0) throw new IllegalArgumentException("negative size in shape " + dims(shape));
      n = Math.multiplyExact(n, s);
    }
    return n;
  }

  static long[] contiguousStrides(long[] shape) {
    long[] st = new long[shape.length];
    long s = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      st[d] = s;
      s *= Math.max(shape[d], 1);
    }
    return st;
  }

  /** {@code [2,3]}: a shape as IR text. */
  public static String dims(long[] shape) { return Arrays.toString(shape).replace(" ", ""); }

  private static void checkCount(int n, long[] shape) {
    if (numel(shape) != n) throw new IllegalArgumentException(n + " values do not fill shape " + dims(shape));
  }
}
