package dev.kiln.frontend.torchscript.ops;

import dev.kiln.ir.DType;

/**
 * PyTorch's ScalarType codes as archives print them ({@code torch.to(x, 6)}, {@code dtype=4}) and back. Codes
 * from c10/core/ScalarType.h: 0 uint8, 1 int8, 2 int16, 3 int32, 4 int64, 5 half, 6 float, 7 double, 11 bool,
 * 12 qint8, 13 quint8, 14 qint32, 15 bfloat16.
 */
final class ScalarTypes {
  private ScalarTypes() {}

  private static final DType[] BY_CODE = new DType[16];

  static {
    BY_CODE[0] = DType.U8;
    BY_CODE[1] = DType.I8;
    BY_CODE[2] = DType.I16;
    BY_CODE[3] = DType.I32;
    BY_CODE[4] = DType.I64;
    BY_CODE[5] = DType.F16;
    BY_CODE[6] = DType.F32;
    BY_CODE[7] = DType.F64;
    BY_CODE[11] = DType.BOOL;
    BY_CODE[12] = DType.QI8;
    BY_CODE[13] = DType.QU8;
    BY_CODE[14] = DType.QI32;
    BY_CODE[15] = DType.BF16;
  }

  /** The dtype for a ScalarType code, or null when Kiln has none (complex types, 8 to 10). */
  static DType dtype(long code) { return code >= 0 && code < BY_CODE.length ? BY_CODE[(int) code] : null; }

  /** The ScalarType code of {@code d}. */
  static long code(DType d) {
    for (int i = 0; i < BY_CODE.length; i++) if (BY_CODE[i] == d) return i;
    throw new IllegalArgumentException("no ScalarType for " + d);
  }
}
