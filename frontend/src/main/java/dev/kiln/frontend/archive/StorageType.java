package dev.kiln.frontend.archive;

import dev.kiln.ir.DType;

/** The {@code torch.*Storage} classes a pickle may name (the allow-list), each with its element type. */
public enum StorageType {
  FLOAT("FloatStorage", DType.F32), DOUBLE("DoubleStorage", DType.F64), HALF("HalfStorage", DType.F16),
  BFLOAT16("BFloat16Storage", DType.BF16), LONG("LongStorage", DType.I64), INT("IntStorage", DType.I32),
  SHORT("ShortStorage", DType.I16), CHAR("CharStorage", DType.I8), BYTE("ByteStorage", DType.U8),
  BOOL("BoolStorage", DType.BOOL), QINT8("QInt8Storage", DType.QI8), QUINT8("QUInt8Storage", DType.QU8),
  QINT32("QInt32Storage", DType.QI32);

  private final String className;
  private final DType dtype;

  StorageType(String className, DType dtype) {
    this.className = className;
    this.dtype = dtype;
  }

  /** The class name inside module {@code torch}, e.g. {@code FloatStorage}. */
  public String className() { return className; }

  public DType dtype() { return dtype; }

  /** @return the storage type called {@code name} in module {@code torch}, or null if it is not allowed. */
  static StorageType byClassName(String name) {
    for (StorageType t : values()) if (t.className.equals(name)) return t;
    return null;
  }

  @Override public String toString() { return "torch." + className; }
}
