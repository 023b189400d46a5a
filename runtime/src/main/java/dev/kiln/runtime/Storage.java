package dev.kiln.runtime;

import dev.kiln.ir.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element access to tensor storage by element index. Storage is a {@link MemorySegment}: tensors made in Java sit
 * on heap segments over a primitive array of the dtype's width (float[] for f32, long[] for i64, byte[] for i8, u8
 * and bool, short[] for f16/bf16/i16 ...), so kernels can reach the array without copying; tensors from native code
 * may sit on native segments. Little-endian (the machine's order) and unaligned access are assumed.
 */
final class Storage {
  private Storage() {}

  static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
  static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;
  static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
  static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
  static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
  static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;

  /** A zeroed heap segment for {@code n} elements of {@code d}, backed by an array of the dtype's width. */
  static MemorySegment allocate(DType d, long n) {
    if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of " + n + " elements is too large");
    int k = (int) n;
    return switch (d) {
      case F32 -> MemorySegment.ofArray(new float[k]);
      case F64 -> MemorySegment.ofArray(new double[k]);
      case I64 -> MemorySegment.ofArray(new long[k]);
      case I32, QI32 -> MemorySegment.ofArray(new int[k]);
      case I16, F16, BF16 -> MemorySegment.ofArray(new short[k]);
      case I8, U8, BOOL, QI8, QU8 -> MemorySegment.ofArray(new byte[k]);
    };
  }

  static double getDouble(MemorySegment s, DType d, long i) {
    return switch (d) {
      case F32 -> s.getAtIndex(F, i);
      case F64 -> s.getAtIndex(D, i);
      case I64 -> s.getAtIndex(L, i);
      case I32, QI32 -> s.getAtIndex(I, i);
      case I16 -> s.getAtIndex(S, i);
      case F16 -> Float.float16ToFloat(s.getAtIndex(S, i));
      case BF16 -> Float.intBitsToFloat(s.getAtIndex(S, i) << 16);
      case I8, QI8 -> s.getAtIndex(B, i);
      case U8, QU8 -> s.getAtIndex(B, i) & 0xff;
      case BOOL -> s.getAtIndex(B, i) != 0 ? 1 : 0;
    };
  }

  /** Integers exactly; floats rounded toward zero (NaN gives 0), as a cast to an integer type does. */
  static long getLong(MemorySegment s, DType d, long i) {
    return switch (d) {
      case I64 -> s.getAtIndex(L, i);
      case I32, QI32 -> s.getAtIndex(I, i);
      case I16 -> s.getAtIndex(S, i);
      case I8, QI8 -> s.getAtIndex(B, i);
      case U8, QU8 -> s.getAtIndex(B, i) & 0xff;
      case BOOL -> s.getAtIndex(B, i) != 0 ? 1 : 0;
      default -> (long) getDouble(s, d, i);
    };
  }

  /** Stores {@code v} converted to {@code d}: truncation toward zero and wrap-around for integers, != 0 for bool. */
  static void setDouble(MemorySegment s, DType d, long i, double v) {
    switch (d) {
      case F32 -> s.setAtIndex(F, i, (float) v);
      case F64 -> s.setAtIndex(D, i, v);
      case F16 -> s.setAtIndex(S, i, Float.floatToFloat16((float) v));
      case BF16 -> s.setAtIndex(S, i, toBf16((float) v));
      case BOOL -> s.setAtIndex(B, i, (byte) (v != 0 ? 1 : 0));
      default -> setLong(s, d, i, (long) v);
    }
  }

  static void setLong(MemorySegment s, DType d, long i, long v) {
    switch (d) {
      case I64 -> s.setAtIndex(L, i, v);
      case I32, QI32 -> s.setAtIndex(I, i, (int) v);
      case I16 -> s.setAtIndex(S, i, (short) v);
      case I8, U8, QI8, QU8 -> s.setAtIndex(B, i, (byte) v);
      case BOOL -> s.setAtIndex(B, i, (byte) (v != 0 ? 1 : 0));
      default -> setDouble(s, d, i, v);
    }
  }

  /** Round to nearest even on the dropped 16 bits; NaN stays NaN. */
  static short toBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
    int rounding = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }
}
