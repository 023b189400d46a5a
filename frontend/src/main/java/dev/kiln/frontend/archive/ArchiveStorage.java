package dev.kiln.frontend.archive;

import dev.kiln.ir.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One storage record of an archive ({@code data/<key>} or {@code constants/<key>}): {@code numel} elements of one
 * type, little-endian. Several tensors may view the same storage; within one {@link TorchArchive} each record is one
 * instance, so sharing shows as identity. The bytes are a read-only slice of the mapped archive file (stored entries)
 * or of a heap copy (compressed entries), and stay valid as long as this object is reachable.
 */
public final class ArchiveStorage {
  private final String entryName;
  private final String key;
  private final StorageType type;
  private final long numel;
  private final MemorySegment bytes;

  ArchiveStorage(String entryName, String key, StorageType type, long numel, MemorySegment bytes) {
    this.entryName = entryName;
    this.key = key;
    this.type = type;
    this.numel = numel;
    this.bytes = bytes.asReadOnly();
  }

  /** The zip entry path relative to the archive root, e.g. {@code data/3} or {@code constants/0}. */
  public String entryName() { return entryName; }

  /** The key from the pickle's persistent id, e.g. {@code 3}. */
  public String key() { return key; }

  public StorageType type() { return type; }

  public DType dtype() { return type.dtype(); }

  public long numel() { return numel; }

  public long byteSize() { return bytes.byteSize(); }

  /** The {@code numel * elementSize} bytes, read-only, little-endian (read with little-endian layouts). */
  public MemorySegment segment() { return bytes; }

  /**
   * The bytes as a read-only little-endian buffer positioned at 0.
   *
   * @throws ArchiveException if the storage exceeds 2 GiB, which a ByteBuffer cannot address (use {@link #segment()})
   */
  public ByteBuffer buffer() {
    if (bytes.byteSize() > Integer.MAX_VALUE)
      throw new ArchiveException(entryName + ": storage of " + bytes.byteSize() + " bytes is too large for a ByteBuffer");
    return bytes.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override public String toString() { return type + "(" + entryName + ", numel=" + numel + ")"; }
}
