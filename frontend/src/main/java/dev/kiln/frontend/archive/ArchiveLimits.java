package dev.kiln.frontend.archive;

/**
 * Bounds {@link TorchArchive#open(java.nio.file.Path, ArchiveLimits)} enforces before it reads anything into memory,
 * so a hostile archive cannot exhaust the heap.
 *
 * @param maxEntries      most zip entries accepted
 * @param maxRecordBytes  largest uncompressed pickle or other small record ({@code data.pkl}, {@code version}, ...)
 * @param maxCodeBytes    total uncompressed size of all {@code code/**.py} files
 * @param maxHeapStorageBytes largest storage that must be inflated into the heap (a compressed {@code data/<key>};
 *                        torch writes them stored, and stored ones are mapped, so this rarely applies)
 */
public record ArchiveLimits(int maxEntries, long maxRecordBytes, long maxCodeBytes, long maxHeapStorageBytes) {
  public static final ArchiveLimits DEFAULT = new ArchiveLimits(200_000, 512L << 20, 512L << 20, 1L << 30);

  public ArchiveLimits {
    if (maxEntries <= 0 || maxRecordBytes <= 0 || maxCodeBytes <= 0 || maxHeapStorageBytes <= 0)
      throw new IllegalArgumentException("archive limits must be positive");
    if (maxRecordBytes > Integer.MAX_VALUE - 8 || maxHeapStorageBytes > Integer.MAX_VALUE - 8)
      throw new IllegalArgumentException("record limits must fit a Java array");
  }
}
