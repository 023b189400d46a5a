package dev.kiln.frontend.archive;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The zip central directory of a mapped file, read only to learn where each entry's bytes start, which
 * {@link java.util.zip.ZipFile} does not tell. It follows zip64 end records (miniz always writes them). Every offset
 * is bounds-checked against the file, so a truncated or forged directory gives an {@link ArchiveException}.
 */
final class ZipIndex {
  /** One central-directory record; {@code localHeaderOffset} is where the entry's local header starts. */
  record Entry(String name, int method, long crc, long compressedSize, long size, long localHeaderOffset) {}

  private static final int EOCD_SIG = 0x06054b50, ZIP64_LOCATOR_SIG = 0x07064b50, ZIP64_EOCD_SIG = 0x06064b50;
  private static final int CEN_SIG = 0x02014b50, LOC_SIG = 0x04034b50;
  private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final MemorySegment file;
  private final String fileName;
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  private ZipIndex(MemorySegment file, String fileName) {
    this.file = file;
    this.fileName = fileName;
  }

  /** Reads the central directory of {@code file}; {@code fileName} is used in messages. */
  static ZipIndex read(MemorySegment file, String fileName, int maxEntries) {
    ZipIndex z = new ZipIndex(file, fileName);
    z.readDirectory(maxEntries);
    return z;
  }

  /** Entries by name, in directory order. */
  Map<String, Entry> entries() { return entries; }

  /** Offset of the first byte of {@code e}'s (possibly compressed) data, after its local header. */
  long dataOffset(Entry e) {
    long at = e.localHeaderOffset();
    need(at, 30, "local header of '" + e.name() + "'");
    if (file.get(I32, at) != LOC_SIG) throw fail("entry '" + e.name() + "': no local header at offset " + at);
    int nameLen = u16(at + 26), extraLen = u16(at + 28);
    need(at + 30, nameLen, "local header name of '" + e.name() + "'");
    String local = utf8(at + 30, nameLen);
    if (!local.equals(e.name()))
      throw fail("entry '" + e.name() + "': local header names '" + local + "' instead");
    long data = at + 30 + nameLen + extraLen;
    need(data, e.compressedSize(), "data of '" + e.name() + "'");
    return data;
  }

  private void readDirectory(int maxEntries) {
    long eocd = findEndRecord();
    long count = u16(eocd + 10), cdSize = u32(eocd + 12), cdOffset = u32(eocd + 16);
    long loc = eocd - 20;
    if (loc >= 0 && file.get(I32, loc) == ZIP64_LOCATOR_SIG) {
      long z64 = file.get(I64, loc + 8);
      need(z64, 56, "zip64 end record");
      if (file.get(I32, z64) != ZIP64_EOCD_SIG) throw fail("zip64 locator points to offset " + z64 + ", no end record");
      count = file.get(I64, z64 + 32);
      cdSize = file.get(I64, z64 + 40);
      cdOffset = file.get(I64, z64 + 48);
    }
    if (count < 0 || count > maxEntries)
      throw fail("central directory declares " + Long.toUnsignedString(count) + " entries, limit is " + maxEntries);
    need(cdOffset, cdSize, "central directory");
    long at = cdOffset, end = cdOffset + cdSize;
    for (long i = 0; i < count; i++) {
      if (at + 46 > end || file.get(I32, at) != CEN_SIG)
        throw fail("central directory record " + i + " at offset " + at + " is missing or corrupt");
      int nameLen = u16(at + 28), extraLen = u16(at + 30), commentLen = u16(at + 32);
      long next = at + 46 + nameLen + extraLen + commentLen;
      if (next > end) throw fail("central directory record " + i + " runs past the directory");
      String name = utf8(at + 46, nameLen);
      long csize = u32(at + 20), size = u32(at + 24), lho = u32(at + 42);
      // zip64 extra (id 1): 8-byte values for exactly the fields saturated at 0xFFFFFFFF, in this order.
      long x = at + 46 + nameLen, xEnd = x + extraLen;
      while (x + 4 <= xEnd) {
        int id = u16(x), len = u16(x + 2);
        long p = x + 4;
        if (p + len > xEnd) throw fail("entry '" + name + "': extra field runs past its record");
        if (id == 1) {
          if (size == 0xFFFFFFFFL) { size = field64(p, x + 4 + len, name); p += 8; }
          if (csize == 0xFFFFFFFFL) { csize = field64(p, x + 4 + len, name); p += 8; }
          if (lho == 0xFFFFFFFFL) { lho = field64(p, x + 4 + len, name); }
        }
        x = x + 4 + len;
      }
      if (size < 0 || csize < 0 || lho < 0) throw fail("entry '" + name + "': negative size or offset");
      Entry e = new Entry(name, u16(at + 10), u32(at + 16), csize, size, lho);
      if (entries.putIfAbsent(name, e) != null) throw fail("entry '" + name + "' appears twice");
      at = next;
    }
  }

  private long field64(long p, long end, String name) {
    if (p + 8 > end) throw fail("entry '" + name + "': zip64 extra field too short");
    return file.get(I64, p);
  }

  private long findEndRecord() {
    long size = file.byteSize();
    if (size < 22) throw fail("not a zip archive: " + size + " bytes is shorter than an end record");
    long stop = Math.max(0, size - 22 - 0xFFFF);
    for (long at = size - 22; at >= stop; at--) {
      if (file.get(I32, at) == EOCD_SIG && at + 22 + u16(at + 20) == size) return at;
    }
    throw fail("not a zip archive or truncated: no end-of-central-directory record");
  }

  private void need(long offset, long length, String what) {
    if (offset < 0 || length < 0 || offset > file.byteSize() - length)
      throw fail(what + " (offset " + offset + ", " + length + " bytes) lies outside the "
          + file.byteSize() + "-byte file: truncated or corrupt");
  }

  private int u16(long at) { return file.get(I16, at) & 0xFFFF; }

  private long u32(long at) { return file.get(I32, at) & 0xFFFFFFFFL; }

  private String utf8(long at, int len) {
    return new String(file.asSlice(at, len).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
  }

  private ArchiveException fail(String what) { return new ArchiveException(fileName + ": " + what); }
}
