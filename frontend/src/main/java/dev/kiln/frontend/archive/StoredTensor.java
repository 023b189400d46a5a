package dev.kiln.frontend.archive;

import dev.kiln.ir.DType;
import dev.kiln.ir.Quant;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor as pickled in an archive: a strided view (offset, sizes, strides, all in elements) of an
 * {@link ArchiveStorage} that other tensors may share. Nothing is copied until {@link #contiguousBytes()} or one of
 * the {@code to*Array} methods is called; those honour the strides. Construction checks that the view stays inside
 * its storage, so every later read is in bounds.
 */
public final class StoredTensor {
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final ArchiveStorage storage;
  private final long storageOffset;
  private final long[] sizes;
  private final long[] strides;
  private final boolean requiresGrad;
  private final Quant quant;
  private final long numel;

  /**
   * @param quant null unless the storage type is quantized
   * @throws IllegalArgumentException if the view is malformed or leaves the storage (the unpickler adds the position)
   */
  StoredTensor(ArchiveStorage storage, long storageOffset, long[] sizes, long[] strides, boolean requiresGrad,
      Quant quant) {
    if (sizes.length != strides.length)
      throw new IllegalArgumentException(sizes.length + " sizes but " + strides.length + " strides");
    if (storageOffset < 0) throw new IllegalArgumentException("negative storage offset " + storageOffset);
    if (quant != null && !storage.dtype().isQuantized())
      throw new IllegalArgumentException("quantization parameters on a " + storage.type() + " tensor");
    if (quant != null && quant.perChannel()
        && (quant.axis() >= sizes.length || sizes[quant.axis()] != quant.scales().size()))
      throw new IllegalArgumentException("per-channel axis " + quant.axis() + " with " + quant.scales().size()
          + " scales does not fit sizes " + Arrays.toString(sizes));
    long n = 1, last = storageOffset;
    try {
      for (int i = 0; i < sizes.length; i++) {
        if (sizes[i] < 0 || strides[i] < 0)
          throw new IllegalArgumentException("negative size or stride in " + Arrays.toString(sizes) + " / "
              + Arrays.toString(strides));
        n = Math.multiplyExact(n, sizes[i]);
        if (sizes[i] > 0) last = Math.addExact(last, Math.multiplyExact(sizes[i] - 1, strides[i]));
      }
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("tensor sizes " + Arrays.toString(sizes) + " overflow");
    }
    if (n > 0 && last >= storage.numel())
      throw new IllegalArgumentException("view (offset " + storageOffset + ", sizes " + Arrays.toString(sizes)
          + ", strides " + Arrays.toString(strides) + ") reaches element " + last + " of " + storage
          + " which has " + storage.numel());
    this.storage = storage;
    this.storageOffset = storageOffset;
    this.sizes = sizes.clone();
    this.strides = strides.clone();
    this.requiresGrad = requiresGrad;
    this.quant = quant;
    this.numel = n;
  }

  public ArchiveStorage storage() { return storage; }

  public DType dtype() { return storage.dtype(); }

  /** Offset of element [0,...,0] in the storage, in elements. */
  public long storageOffset() { return storageOffset; }

  public long[] sizes() { return sizes.clone(); }

  /** Strides in elements, one per dimension. */
  public long[] strides() { return strides.clone(); }

  public int rank() { return sizes.length; }

  public long numel() { return numel; }

  public boolean requiresGrad() { return requiresGrad; }

  /** Scale and zero point(s) of a quantized tensor; null if the tensor is not quantized. */
  public Quant quant() { return quant; }

  /** True if the elements lie row-major without gaps (dimensions of size 1 may have any stride). */
  public boolean isContiguous() {
    long expected = 1;
    for (int i = sizes.length - 1; i >= 0; i--) {
      if (sizes[i] != 1 && strides[i] != expected) return numel == 0;
      expected *= sizes[i];
    }
    return true;
  }

  /**
   * The elements in row-major order as little-endian bytes of {@link #dtype()}: a read-only slice of the storage
   * when the view is contiguous, otherwise a fresh heap copy.
   */
  public MemorySegment contiguousBytes() {
    int es = dtype().byteSize();
    if (isContiguous()) return storage.segment().asSlice(storageOffset * es, numel * es);
    if (numel * es > Integer.MAX_VALUE - 8) throw new ArchiveException(this + " is too large to copy to the heap");
    MemorySegment out = MemorySegment.ofArray(new byte[(int) (numel * es)]);
    MemorySegment src = storage.segment();
    long[] idx = new long[sizes.length];
    long off = storageOffset;
    for (long i = 0; i < numel; i++) {
      MemorySegment.copy(src, off * es, out, i * es, es);
      // odometer: bump the last index, carrying into earlier dimensions
      for (int d = sizes.length - 1; d >= 0; d--) {
        if (++idx[d] < sizes[d]) { off += strides[d]; break; }
        off -= (sizes[d] - 1) * strides[d];
        idx[d] = 0;
      }
    }
    return out.asReadOnly();
  }

  /**
   * The elements in row-major order converted to float. Quantized tensors are dequantized
   * ({@code scale * (q - zeroPoint)}, per channel along the quant axis).
   */
  public float[] toFloatArray() {
    double[] d = toDoubleArray();
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
    return f;
  }

  /** As {@link #toFloatArray()}, in double precision. */
  public double[] toDoubleArray() {
    MemorySegment s = contiguousBytes();
    double[] out = new double[checkedLength()];
    if (dtype() == DType.F32) {
      for (int i = 0; i < out.length; i++) out[i] = s.getAtIndex(F32, i);
      return out;
    }
    for (int i = 0; i < out.length; i++) out[i] = read(s, i);
    if (quant != null) dequantize(out);
    return out;
  }

  /** The elements in row-major order as integers (floats truncated; quantized tensors give their raw integers). */
  public long[] toLongArray() {
    MemorySegment s = contiguousBytes();
    long[] out = new long[checkedLength()];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (dtype()) {
        case I64 -> s.getAtIndex(I64, i);
        case I32, QI32 -> s.getAtIndex(I32, i);
        case I16 -> s.getAtIndex(I16, i);
        case I8, QI8 -> s.get(ValueLayout.JAVA_BYTE, i);
        case U8, QU8, BOOL -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        default -> (long) read(s, i);
      };
    }
    return out;
  }

  /**
   * A contiguous runtime tensor holding a copy of the elements (strides honoured), on a heap array of the dtype's
   * width. Quantized tensors keep their raw integers under their quantized dtype; {@link #quant()} has the scale.
   */
  public Tensor toTensor() {
    return switch (dtype()) {
      case F32 -> Tensor.fromFloats(toFloatArray(), sizes);
      case F64 -> Tensor.fromDoubles(toDoubleArray(), sizes);
      case I64 -> Tensor.fromLongs(toLongArray(), sizes);
      case I32 -> {
        long[] l = toLongArray();
        int[] v = new int[l.length];
        for (int i = 0; i < v.length; i++) v[i] = (int) l[i];
        yield Tensor.fromInts(v, sizes);
      }
      case BOOL -> {
        long[] l = toLongArray();
        boolean[] v = new boolean[l.length];
        for (int i = 0; i < v.length; i++) v[i] = l[i] != 0;
        yield Tensor.fromBools(v, sizes);
      }
      default -> Tensor.of(dtype(), heapCopy(), sizes); // f16, bf16, i16, i8, u8 and quantized: raw bits
    };
  }

  /** The row-major bytes copied into a primitive array of the dtype's width, as the runtime's kernels expect. */
  private MemorySegment heapCopy() {
    MemorySegment src = contiguousBytes();
    int n = checkedLength();
    MemorySegment dst = switch (dtype().byteSize()) {
      case 1 -> MemorySegment.ofArray(new byte[n]);
      case 2 -> MemorySegment.ofArray(new short[n]);
      case 4 -> MemorySegment.ofArray(new int[n]);
      default -> MemorySegment.ofArray(new long[n]);
    };
    MemorySegment.copy(src, 0, dst, 0, src.byteSize());
    return dst;
  }

  private double read(MemorySegment s, long i) {
    return switch (dtype()) {
      case F32 -> s.getAtIndex(F32, i);
      case F64 -> s.getAtIndex(F64, i);
      case F16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
      case BF16 -> Float.intBitsToFloat(s.getAtIndex(I16, i) << 16);
      case I64 -> s.getAtIndex(I64, i);
      case I32, QI32 -> s.getAtIndex(I32, i);
      case I16 -> s.getAtIndex(I16, i);
      case I8, QI8 -> s.get(ValueLayout.JAVA_BYTE, i);
      case U8, QU8 -> s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
      case BOOL -> s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
    };
  }

  private void dequantize(double[] v) {
    if (!quant.perChannel()) {
      double scale = quant.scales().get(0);
      long zp = quant.zeroPoints().get(0);
      for (int i = 0; i < v.length; i++) v[i] = scale * (v[i] - zp);
      return;
    }
    int axis = quant.axis();
    long inner = 1;
    for (int d = axis + 1; d < sizes.length; d++) inner *= sizes[d];
    for (int i = 0; i < v.length; i++) {
      int c = (int) ((i / inner) % sizes[axis]);
      v[i] = quant.scales().get(c) * (v[i] - quant.zeroPoints().get(c));
    }
  }

  private int checkedLength() {
    if (numel > Integer.MAX_VALUE - 8) throw new ArchiveException(this + " has too many elements for a Java array");
    return (int) numel;
  }

  @Override public String toString() {
    return "tensor " + dtype() + Arrays.toString(sizes) + " strides " + Arrays.toString(strides) + " offset "
        + storageOffset + " of " + storage.entryName();
  }
}
