package dev.kiln.frontend.archive;

import static dev.kiln.frontend.archive.PickleWriter.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-made archives, valid and hostile: each refusal must name the file, the entry and what was expected. */
class ArchiveValidationTest {
  @TempDir Path dir;

  private static final float[] VALUES = {1.5f, -2.25f, 3.125f, 4.0f, 5.5f, -6.75f};

  /** A module object {@code __torch__.M} with attribute {@code w}: a 2x3 view of storage 0. */
  private static byte[] dataPkl(String storageKey, long numel, long offset, long[] sizes, long[] strides) {
    return new PickleWriter().proto(2).global("__torch__", "M").op(EMPTY_TUPLE, NEWOBJ, EMPTY_DICT)
        .shortStr("w").tensor("FloatStorage", storageKey, numel, offset, sizes, strides).op(SETITEM, BUILD, STOP)
        .bytes();
  }

  private static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) b.putFloat(f);
    return b.array();
  }

  private static Map<String, byte[]> validEntries() {
    Map<String, byte[]> e = new LinkedHashMap<>();
    e.put("m/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    e.put("m/data.pkl", dataPkl("0", 6, 0, new long[] {2, 3}, new long[] {3, 1}));
    e.put("m/constants.pkl", new PickleWriter().proto(2).op(EMPTY_TUPLE, STOP).bytes());
    e.put("m/code/__torch__.py", "class M(Module):\n  w : Tensor\n".getBytes(StandardCharsets.UTF_8));
    e.put("m/data/0", floats(VALUES));
    return e;
  }

  private Path write(String name, Map<String, byte[]> entries) throws IOException {
    Path p = dir.resolve(name);
    try (OutputStream os = Files.newOutputStream(p); ZipOutputStream z = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry ze = new ZipEntry(e.getKey());
        if (!e.getKey().endsWith(".py")) { // storages and records stored, sources deflated, as torch does
          CRC32 crc = new CRC32();
          crc.update(e.getValue());
          ze.setMethod(ZipEntry.STORED);
          ze.setSize(e.getValue().length);
          ze.setCrc(crc.getValue());
        }
        z.putNextEntry(ze);
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return p;
  }

  private ArchiveException refused(String name, Map<String, byte[]> entries) throws IOException {
    Path p = write(name, entries);
    ArchiveException e = assertThrows(ArchiveException.class, () -> TorchArchive.open(p));
    assertTrue(e.getMessage().startsWith(p.toString() + ":"), "message names the file: " + e.getMessage());
    return e;
  }

  @Test
  void handMadeArchiveOpens() throws IOException {
    TorchArchive a = TorchArchive.open(write("ok.pt", validEntries()));
    assertEquals("m", a.rootPrefix());
    assertEquals(3, a.version());
    assertEquals(Map.of("__torch__.py", "class M(Module):\n  w : Tensor\n"), a.code());
    StoredTensor w = (StoredTensor) a.root().get("w");
    assertArrayEquals(VALUES, w.toFloatArray());
    assertEquals("data/0", w.storage().entryName());
    assertEquals(VALUES[1], w.storage().buffer().getFloat(4));
    assertTrue(a.constants().isEmpty());
  }

  @Test
  void torch2ExtrasAreAccepted() throws IOException {
    Map<String, byte[]> e = validEntries();
    e.remove("m/version");
    e.put("m/.data/version", "4\n".getBytes());
    e.put("m/byteorder", "little".getBytes());
    e.put("m/extra/meta.txt", "hi".getBytes());
    TorchArchive a = TorchArchive.open(write("torch2.pt", e));
    assertEquals(4, a.version());
    assertArrayEquals("hi".getBytes(), a.extraFiles().get("meta.txt"));
  }

  @Test
  void truncatedArchive() throws IOException {
    byte[] whole = Files.readAllBytes(Fixtures.model("mlp", "scripted.pt"));
    for (int keep : new int[] {whole.length / 2, whole.length - 30, 10}) {
      Path p = dir.resolve("cut" + keep + ".pt");
      Files.write(p, Arrays.copyOf(whole, keep));
      ArchiveException e = assertThrows(ArchiveException.class, () -> TorchArchive.open(p));
      assertTrue(e.getMessage().startsWith(p + ": not a zip archive"), e.getMessage());
    }
    Path empty = Files.write(dir.resolve("empty.pt"), new byte[0]);
    assertTrue(assertThrows(ArchiveException.class, () -> TorchArchive.open(empty)).getMessage()
        .contains("shorter than an end record"));
  }

  @Test
  void corruptStorageBytesFailTheCrc() throws IOException {
    Path p = write("crc.pt", validEntries());
    byte[] b = Files.readAllBytes(p);
    byte[] payload = floats(VALUES);
    int at = indexOf(b, payload);
    b[at + 5] ^= 0x40;
    Files.write(p, b);
    ArchiveException e = assertThrows(ArchiveException.class, () -> TorchArchive.open(p));
    assertTrue(e.getMessage().contains("entry 'm/data/0': CRC mismatch"), e.getMessage());
  }

  @Test
  void pathTraversalAndForeignRoots() throws IOException {
    Map<String, byte[]> e = validEntries();
    e.put("m/../evil.py", "x".getBytes());
    assertTrue(refused("dotdot.pt", e).getMessage().endsWith(
        "entry 'm/../evil.py' has an unsafe path (absolute, '..', '.', '\\' or ':'); expected a relative path "
            + "inside the archive root"));
    e = validEntries();
    e.put("/etc/passwd", "x".getBytes());
    assertTrue(refused("abs.pt", e).getMessage().contains("entry '/etc/passwd' has an unsafe path"));
    e = validEntries();
    e.put("other/data/1", "x".getBytes());
    assertTrue(refused("two-roots.pt", e).getMessage().endsWith("entry 'other/data/1' is outside the root folder 'm/'"));
  }

  @Test
  void missingRecords() throws IOException {
    for (String missing : new String[] {"data.pkl", "constants.pkl", "version"}) {
      Map<String, byte[]> e = validEntries();
      e.remove("m/" + missing);
      String msg = refused("no-" + missing + ".pt", e).getMessage();
      assertTrue(msg.contains("entry 'm/" + missing + "'") && msg.contains("missing record"), msg);
    }
    Map<String, byte[]> e = validEntries();
    e.remove("m/data/0");
    String msg = refused("no-storage.pt", e).getMessage();
    assertTrue(msg.contains("m/data.pkl at byte") && msg.endsWith("entry 'm/data/0': missing record referenced by data.pkl"),
        msg);
  }

  @Test
  void badRecords() throws IOException {
    Map<String, byte[]> e = validEntries();
    e.put("m/byteorder", "big".getBytes());
    assertTrue(refused("big.pt", e).getMessage()
        .endsWith("entry 'm/byteorder': byte order 'big' is not supported, expected 'little'"));
    e = validEntries();
    e.put("m/version", "99\n".getBytes());
    assertTrue(refused("v99.pt", e).getMessage().endsWith("file-format version '99' is not supported, expected 1 to 10"));
    e = validEntries();
    e.put("m/data/0", floats(1, 2, 3));
    assertTrue(refused("short-storage.pt", e).getMessage()
        .endsWith("entry 'm/data/0': holds 12 bytes, expected 24 for 6 elements of torch.FloatStorage"));
    e = validEntries();
    e.put("m/constants.pkl", new PickleWriter().proto(2).op(EMPTY_LIST, STOP).bytes());
    assertTrue(refused("consts.pt", e).getMessage().endsWith("entry 'm/constants.pkl': expected a tuple of constants"));
    e = validEntries();
    e.put("m/data.pkl", new PickleWriter().proto(2).global("os", "system").op(STOP).bytes());
    UnpicklingException u = (UnpicklingException) refused("os.pt", e);
    assertTrue(u.getMessage().endsWith("m/data.pkl at byte 2: forbidden global 'os.system' (allowed: "
        + TorchGlobals.ALLOWED + ")"), u.getMessage());
  }

  @Test
  void viewsOutsideTheirStorageAreRefused() throws IOException {
    Map<String, byte[]> e = validEntries();
    // 2x3 with offset 1 reaches element 6 of a 6-element storage
    e.put("m/data.pkl", dataPkl("0", 6, 1, new long[] {2, 3}, new long[] {3, 1}));
    String msg = refused("oob.pt", e).getMessage();
    assertTrue(msg.contains("m/data.pkl at byte") && msg.contains("reaches element 6 of torch.FloatStorage(data/0, "
        + "numel=6) which has 6"), msg);
    e.put("m/data.pkl", dataPkl("0", 6, 0, new long[] {2, -3}, new long[] {3, 1}));
    assertTrue(refused("neg.pt", e).getMessage().contains("negative size or stride"));
    e.put("m/data.pkl", dataPkl("../0", 6, 0, new long[] {6}, new long[] {1}));
    assertTrue(refused("key.pt", e).getMessage().contains("storage key '../0' is not a plain name"));
  }

  @Test
  void limitsAreEnforced() throws IOException {
    Path p = write("limits.pt", validEntries());
    ArchiveException e = assertThrows(ArchiveException.class,
        () -> TorchArchive.open(p, new ArchiveLimits(3, 1 << 20, 1 << 20, 1 << 20)));
    assertTrue(e.getMessage().endsWith("central directory declares 5 entries, limit is 3"), e.getMessage());
    e = assertThrows(ArchiveException.class, () -> TorchArchive.open(p, new ArchiveLimits(100, 16, 1 << 20, 1 << 20)));
    assertTrue(e.getMessage().contains("entry 'm/data.pkl'") && e.getMessage().contains("exceeds the 16-byte limit"),
        e.getMessage());
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    throw new AssertionError("payload not found");
  }
}
