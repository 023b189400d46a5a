package dev.kiln.frontend.archive;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A TorchScript archive as {@code torch.jit.save} writes it, read without Python or libtorch: the module pickle
 * ({@code data.pkl}), the constants tuple ({@code constants.pkl}), the TorchScript sources ({@code code/**.py}) and
 * the tensor storages, which are mapped from the file rather than copied.
 *
 * <p>{@link #open} reads and checks everything up front (entry names, sizes, CRCs, pickles); the result is immutable
 * and may be shared between threads. Tensors keep the file mapping alive; it is released by the garbage collector
 * once nothing refers to them, so there is nothing to close.
 */
public final class TorchArchive {
  private static final int MIN_VERSION = 1, MAX_VERSION = 10;

  private final Path file;
  private final String root;
  private final int version;
  private final Object data;
  private final List<Object> constants;
  private final Map<String, String> code;
  private final Map<String, byte[]> extraFiles;
  private final Map<String, ArchiveStorage> storages;

  private TorchArchive(Path file, String root, int version, Object data, List<Object> constants,
      Map<String, String> code, Map<String, byte[]> extraFiles, Map<String, ArchiveStorage> storages) {
    this.file = file;
    this.root = root;
    this.version = version;
    this.data = data;
    this.constants = constants;
    this.code = code;
    this.extraFiles = extraFiles;
    this.storages = storages;
  }

  /** Opens {@code file} with {@link ArchiveLimits#DEFAULT}. */
  public static TorchArchive open(Path file) { return open(file, ArchiveLimits.DEFAULT); }

  /**
   * Reads and validates the archive at {@code file}.
   *
   * @throws ArchiveException naming the file, the entry and what was expected, if the file is not a well-formed
   *     TorchScript archive within {@code limits}; {@link UnpicklingException} (a subclass) for a refused pickle
   */
  public static TorchArchive open(Path file, ArchiveLimits limits) { return open(file, limits, true); }

  /**
   * Reads a zip that {@code torch.save} wrote (a state dict, a tensor, a dict of tensors): like {@link #open} but
   * {@code constants.pkl} may be absent, as it is in such files ({@link #constants()} is then empty).
   *
   * @throws ArchiveException as {@link #open}
   */
  public static TorchArchive openSaved(Path file, ArchiveLimits limits) { return open(file, limits, false); }

  private static TorchArchive open(Path file, ArchiveLimits limits, boolean torchScript) {
    String name = file.toString();
    if (!Files.isRegularFile(file)) throw new ArchiveException(name + ": not a readable regular file");
    MemorySegment mapped;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
    } catch (IOException e) {
      throw new ArchiveException(name + ": cannot map the file: " + e.getMessage(), e);
    }
    ZipIndex index = ZipIndex.read(mapped, name, limits.maxEntries());
    try (ZipFile zip = new ZipFile(file.toFile())) {
      return new Loader(file, name, mapped, index, zip, limits, torchScript).load();
    } catch (ZipException e) {
      throw new ArchiveException(name + ": not a valid zip archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ArchiveException(name + ": read error: " + e.getMessage(), e);
    }
  }

  public Path file() { return file; }

  /** The folder all entries sit in, without the slash: the file's stem when it was saved (e.g. {@code model}). */
  public String rootPrefix() { return root; }

  /** The file-format version from the {@code version} record (3 for torch 1.13). */
  public int version() { return version; }

  /** The unpickled {@code data.pkl}: normally the root module, a {@link TorchObject}. */
  public Object data() { return data; }

  /** {@link #data()} as a module object. @throws ArchiveException if {@code data.pkl} holds something else */
  public TorchObject root() {
    if (data instanceof TorchObject o) return o;
    throw new ArchiveException(file + ": " + root + "/data.pkl holds " + TorchGlobals.describe(data)
        + ", expected a __torch__ module object");
  }

  /** The items of {@code constants.pkl}'s tuple: {@code CONSTANTS.c<i>} is item i. */
  public List<Object> constants() { return constants; }

  /** TorchScript sources by path under {@code code/}, e.g. {@code __torch__/torch/nn/modules/linear.py}; sorted. */
  public Map<String, String> code() { return code; }

  /** The source at {@code path} under {@code code/}, or null if there is none. */
  public String codeFile(String path) { return code.get(path); }

  /** Files under {@code extra/} (torch's {@code _extra_files}) by path under {@code extra/}; often empty. */
  public Map<String, byte[]> extraFiles() { return extraFiles; }

  /** Every storage the two pickles refer to, by entry path relative to the root ({@code data/0}, {@code constants/3}). */
  public Map<String, ArchiveStorage> storages() { return storages; }

  @Override public String toString() {
    return "TorchArchive(" + file + ", root=" + root + ", version=" + version + ", " + code.size() + " code files, "
        + storages.size() + " storages)";
  }

  /** The reading steps of {@link #open}, holding the zip while it is open. */
  private static final class Loader {
    private final Path file;
    private final String name;
    private final MemorySegment mapped;
    private final ZipIndex index;
    private final ZipFile zip;
    private final ArchiveLimits limits;
    private final boolean torchScript; // false: a torch.save zip, where constants.pkl is optional
    private final Map<String, ZipEntry> records = new LinkedHashMap<>(); // by path relative to the root
    private final Map<String, ArchiveStorage> storages = new TreeMap<>();
    private String root;

    Loader(Path file, String name, MemorySegment mapped, ZipIndex index, ZipFile zip, ArchiveLimits limits,
        boolean torchScript) {
      this.torchScript = torchScript;
      this.file = file;
      this.name = name;
      this.mapped = mapped;
      this.index = index;
      this.zip = zip;
      this.limits = limits;
    }

    TorchArchive load() throws IOException {
      listEntries();
      int version = readVersion();
      String order = records.containsKey("byteorder") ? text("byteorder").strip() : "little";
      if (!order.equals("little"))
        throw fail("byteorder", "byte order '" + order + "' is not supported, expected 'little'");
      Object data = unpickle("data.pkl", "data");
      boolean noConstants = !torchScript && !records.containsKey("constants.pkl");
      if (!((noConstants ? PyTuple.EMPTY : unpickle("constants.pkl", "constants")) instanceof PyTuple constants))
        throw fail("constants.pkl", "expected a tuple of constants");
      Map<String, String> code = new TreeMap<>();
      Map<String, byte[]> extra = new TreeMap<>();
      long codeBytes = 0;
      for (Map.Entry<String, ZipEntry> r : records.entrySet()) {
        String path = r.getKey();
        if (path.startsWith("code/") && path.endsWith(".py")) {
          codeBytes += r.getValue().getSize();
          if (codeBytes > limits.maxCodeBytes())
            throw fail(path, "code files total more than the " + limits.maxCodeBytes() + "-byte limit");
          code.put(path.substring("code/".length()), text(path));
        } else if (path.startsWith("extra/")) {
          extra.put(path.substring("extra/".length()), read(path, limits.maxRecordBytes()));
        }
      }
      return new TorchArchive(file, root, version, data, constants.items(), Collections.unmodifiableMap(code),
          Collections.unmodifiableMap(extra), Collections.unmodifiableMap(storages));
    }

    /** Checks every entry name and takes the root folder from the first one. */
    private void listEntries() {
      Enumeration<? extends ZipEntry> all = zip.entries();
      int n = 0;
      while (all.hasMoreElements()) {
        ZipEntry e = all.nextElement();
        String entry = e.getName();
        if (++n > limits.maxEntries()) throw new ArchiveException(name + ": more than " + limits.maxEntries() + " entries");
        checkName(entry);
        if (!index.entries().containsKey(entry))
          throw new ArchiveException(name + ": entry '" + entry + "' is missing from the central directory index");
        int slash = entry.indexOf('/');
        if (root == null) {
          if (slash <= 0) throw new ArchiveException(name + ": entry '" + entry + "' is not inside a root folder");
          root = entry.substring(0, slash);
        }
        if (slash != root.length() || !entry.startsWith(root))
          throw new ArchiveException(name + ": entry '" + entry + "' is outside the root folder '" + root + "/'");
        if (e.isDirectory()) continue;
        if (records.put(entry.substring(slash + 1), e) != null)
          throw new ArchiveException(name + ": entry '" + entry + "' appears twice");
      }
      if (root == null) throw new ArchiveException(name + ": the zip archive has no entries");
    }

    private void checkName(String entry) {
      boolean bad = entry.isEmpty() || entry.startsWith("/") || entry.contains("\\") || entry.contains(":")
          || entry.indexOf('\0') >= 0;
      for (String part : entry.split("/", -1)) bad |= part.equals("..") || part.equals(".");
      if (bad)
        throw new ArchiveException(name + ": entry '" + entry + "' has an unsafe path (absolute, '..', '.', '\\' "
            + "or ':'); expected a relative path inside the archive root");
    }

    private int readVersion() throws IOException {
      String path = records.containsKey("version") ? "version" : records.containsKey(".data/version") ? ".data/version" : null;
      if (path == null) throw fail("version", "missing record; a TorchScript archive has version, data.pkl, constants.pkl");
      String s = text(path).strip();
      try {
        int v = Integer.parseInt(s);
        if (v >= MIN_VERSION && v <= MAX_VERSION) return v;
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw fail(path, "file-format version '" + s + "' is not supported, expected " + MIN_VERSION + " to " + MAX_VERSION);
    }

    private Object unpickle(String path, String storageFolder) throws IOException {
      byte[] bytes = read(path, limits.maxRecordBytes());
      return Unpickler.load(bytes, name + ":" + root + "/" + path, pid -> storage(pid, storageFolder, path));
    }

    /** BINPERSID: {@code ('storage', torch.XStorage, key, location, numel)} names record {@code <folder>/<key>}. */
    private ArchiveStorage storage(Object pid, String folder, String pickle) {
      if (!(pid instanceof PyTuple t) || t.size() != 5 || !"storage".equals(t.get(0))
          || !(t.get(1) instanceof StorageType type) || !(t.get(2) instanceof String key)
          || !(t.get(3) instanceof String) || !(t.get(4) instanceof Long numel) || numel < 0)
        throw new IllegalArgumentException("persistent id " + pid + " is not ('storage', torch.XStorage, key, "
            + "location, numel)");
      if (key.isEmpty() || !key.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_') || key.length() > 64)
        throw new IllegalArgumentException("storage key '" + key + "' is not a plain name");
      String path = folder + "/" + key;
      ArchiveStorage known = storages.get(path);
      if (known != null) {
        if (known.type() != type || known.numel() != numel)
          throw new IllegalArgumentException("storage " + path + " is used as " + type + "(" + numel + ") and as "
              + known.type() + "(" + known.numel() + ")");
        return known;
      }
      ZipEntry e = records.get(path);
      if (e == null) throw fail(path, "missing record referenced by " + pickle);
      long bytes;
      try {
        bytes = Math.multiplyExact(numel, (long) type.dtype().byteSize());
      } catch (ArithmeticException x) {
        throw fail(path, "numel " + numel + " overflows");
      }
      if (e.getSize() < bytes)
        throw fail(path, "holds " + e.getSize() + " bytes, expected " + bytes + " for " + numel + " elements of " + type);
      ArchiveStorage s = new ArchiveStorage(path, key, type, numel, storageBytes(path, e).asSlice(0, bytes));
      storages.put(path, s);
      return s;
    }

    /** A stored entry is a slice of the mapping (after a CRC check); a compressed one is inflated to the heap. */
    private MemorySegment storageBytes(String path, ZipEntry e) {
      ZipIndex.Entry ie = index.entries().get(root + "/" + path);
      if (e.getMethod() != ZipEntry.STORED) {
        try {
          return MemorySegment.ofArray(read(path, limits.maxHeapStorageBytes()));
        } catch (IOException x) {
          throw fail(path, "read error: " + x.getMessage());
        }
      }
      if (ie.method() != ZipEntry.STORED || ie.size() != e.getSize() || ie.compressedSize() != e.getSize()
          || ie.crc() != e.getCrc())
        throw fail(path, "central directory records disagree about the entry");
      MemorySegment seg = mapped.asSlice(index.dataOffset(ie), ie.size());
      CRC32 crc = new CRC32();
      for (long off = 0; off < seg.byteSize(); off += 1 << 30)
        crc.update(seg.asSlice(off, Math.min(1L << 30, seg.byteSize() - off)).asByteBuffer());
      if (crc.getValue() != e.getCrc()) throw fail(path, "CRC mismatch: the stored bytes are corrupt");
      return seg;
    }

    private byte[] read(String path, long limit) throws IOException {
      ZipEntry e = records.get(path);
      if (e == null) throw fail(path, "missing record");
      if (e.getSize() > limit) throw fail(path, e.getSize() + " bytes exceeds the " + limit + "-byte limit");
      byte[] b;
      try (InputStream in = zip.getInputStream(e)) {
        b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
      } catch (ZipException x) {
        throw fail(path, "corrupt entry: " + x.getMessage());
      }
      if (b.length > limit) throw fail(path, "inflates past the " + limit + "-byte limit");
      if (e.getSize() >= 0 && b.length != e.getSize())
        throw fail(path, "holds " + b.length + " bytes, the directory says " + e.getSize() + ": truncated or corrupt");
      CRC32 crc = new CRC32();
      crc.update(b);
      if (e.getCrc() >= 0 && crc.getValue() != e.getCrc()) throw fail(path, "CRC mismatch: the entry is corrupt");
      return b;
    }

    private String text(String path) throws IOException {
      byte[] b = read(path, limits.maxRecordBytes());
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
      } catch (CharacterCodingException x) {
        throw fail(path, "is not valid UTF-8 text");
      }
    }

    private ArchiveException fail(String path, String what) {
      return new ArchiveException(name + ": entry '" + root + "/" + path + "': " + what);
    }
  }
}
