package dev.kiln.runtime.artifact;

import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Manifest.WeightEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * weights.bin: every weight's elements, row-major and little-endian (the machine order Kiln assumes), each starting
 * at a multiple of {@link Manifest#ALIGNMENT} bytes, zero padding between. Writing streams from the tensors' segments
 * (no blob is built in memory); reading streams straight into each tensor's own array, hashing as it goes, so a load
 * copies every byte once and never holds the blob twice.
 */
final class WeightBlob {
  private WeightBlob() {}

  private static final int CHUNK = 1 << 16;

  /** Where each weight goes: names in sorted order (so equal inputs give equal files), aligned offsets. */
  record Layout(List<WeightEntry> entries, long size) {}

  static Layout layout(Map<String, Tensor> weights) {
    List<WeightEntry> entries = new ArrayList<>();
    long at = 0;
    for (Map.Entry<String, Tensor> e : new TreeMap<>(weights).entrySet()) {
      Tensor t = e.getValue();
      at = align(at);
      long len = t.numel() * t.dtype().byteSize();
      List<Long> shape = new ArrayList<>();
      for (long s : t.shape()) shape.add(s);
      entries.add(new WeightEntry(e.getKey(), t.dtype(), shape, at, len));
      at += len;
    }
    return new Layout(entries, at);
  }

  static long align(long at) { return (at + Manifest.ALIGNMENT - 1) / Manifest.ALIGNMENT * Manifest.ALIGNMENT; }

  /** Receives the blob's bytes in order. */
  interface Sink {
    void accept(byte[] buf, int len) throws IOException;
  }

  /** Feeds the whole blob, padding included, to {@code sink} in chunks. */
  static void stream(Layout layout, Map<String, Tensor> weights, Sink sink) throws IOException {
    byte[] buf = new byte[CHUNK];
    long at = 0;
    for (WeightEntry w : layout.entries()) {
      int pad = (int) (w.offset() - at);
      if (pad > 0) sink.accept(new byte[pad], pad);
      MemorySegment seg = weights.get(w.name()).segment();
      for (long off = 0; off < w.length(); off += CHUNK) {
        int n = (int) Math.min(CHUNK, w.length() - off);
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, buf, 0, n);
        sink.accept(buf, n);
      }
      at = w.offset() + w.length();
    }
  }

  /** SHA-256 (hex) and CRC-32 of the blob, computed without building it; the zip's stored entry needs the CRC first. */
  record Digest(String sha256, long crc32) {}

  static Digest digest(Layout layout, Map<String, Tensor> weights) throws IOException {
    MessageDigest sha = sha256();
    CRC32 crc = new CRC32();
    stream(layout, weights, (b, n) -> { sha.update(b, 0, n); crc.update(b, 0, n); });
    return new Digest(HexFormat.of().formatHex(sha.digest()), crc.getValue());
  }

  static void write(Layout layout, Map<String, Tensor> weights, OutputStream out) throws IOException {
    stream(layout, weights, (b, n) -> out.write(b, 0, n));
  }

  /**
   * Reads weights.bin from {@code in} into one tensor per index entry and checks the SHA-256 and length of the whole
   * stream. The manifest must already have passed {@link ManifestCheck} (entries in bounds, sorted, not overlapping).
   *
   * @param where the entry for messages, e.g. {@code model.kiln!weights.bin}
   * @return weight name to tensor (heap arrays of the dtype's width, the form kernels read without copies)
   * @throws ArtifactException when the blob is shorter or longer than the manifest says, or its hash differs
   */
  static Map<String, Tensor> read(InputStream in, Manifest m, String where) throws IOException {
    MessageDigest sha = sha256();
    Reader r = new Reader(in, sha, where, m.weightsSize());
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (WeightEntry w : m.weights()) {
      r.skipTo(w.offset());
      Tensor t = Tensor.zeros(w.dtype(), w.sizes());
      r.readInto(t.storage(), w.length(), w.name());
      out.put(w.name(), t);
    }
    r.skipTo(m.weightsSize());
    if (in.read() != -1) throw new ArtifactException(where, "longer than the " + m.weightsSize() + " bytes the manifest says");
    String got = HexFormat.of().formatHex(sha.digest());
    if (!got.equals(m.weightsSha256()))
      throw new ArtifactException(where, "SHA-256 is " + got + ", the manifest says " + m.weightsSha256() + " (the weights were changed or damaged)");
    return out;
  }

  /** Reads the blob in order, hashing every byte, with the position for messages. */
  private static final class Reader {
    private final InputStream in;
    private final MessageDigest sha;
    private final String where;
    private final long size;
    private final byte[] buf = new byte[CHUNK];
    private long pos;

    Reader(InputStream in, MessageDigest sha, String where, long size) {
      this.in = in;
      this.sha = sha;
      this.where = where;
      this.size = size;
    }

    void skipTo(long target) throws IOException {
      while (pos < target) fill((int) Math.min(CHUNK, target - pos), "padding before byte " + target);
    }

    void readInto(MemorySegment dst, long len, String name) throws IOException {
      for (long off = 0; off < len; ) {
        int n = fill((int) Math.min(CHUNK, len - off), "weight \"" + name + "\"");
        MemorySegment.copy(MemorySegment.ofArray(buf), 0, dst, off, n);
        off += n;
      }
    }

    /** Reads exactly {@code n} bytes into buf and hashes them. */
    private int fill(int n, String what) throws IOException {
      int got = in.readNBytes(buf, 0, n);
      if (got < n)
        throw new ArtifactException(where, "truncated: ends at byte " + (pos + got) + " inside " + what + ", the manifest says " + size + " bytes");
      sha.update(buf, 0, n);
      pos += n;
      return n;
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
