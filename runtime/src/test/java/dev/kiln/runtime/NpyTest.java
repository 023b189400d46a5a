package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void roundTripsEveryDtype() {
    long[] values = {0, 1, -2, 3, 127, -128};
    for (DType d : List.of(DType.F32, DType.F64, DType.I64, DType.I32, DType.I8, DType.U8, DType.BOOL)) {
      Tensor t = Tensor.ofLongs(d, values, 2, 3);
      Path p = dir.resolve(d + ".npy");
      Npy.write(p, t);
      Tensor back = Npy.read(p);
      assertEquals(d, back.dtype());
      assertArrayEquals(new long[] {2, 3}, back.shape());
      assertArrayEquals(t.toLongArray(), back.toLongArray(), d.toString());
    }
  }

  @Test
  void roundTripsScalarsEmptyTensorsAndViews() {
    Path p = dir.resolve("s.npy");
    Npy.write(p, Tensor.scalar(DType.F64, 2.5));
    assertEquals(0, Npy.read(p).rank());
    assertEquals(2.5, Npy.read(p).doubleAt(0));
    Npy.write(p, Tensor.zeros(DType.F32, 0, 3));
    assertArrayEquals(new long[] {0, 3}, Npy.read(p).shape());
    Tensor view = Tensor.fromFloats(new float[] {1, 2, 3, 4}, 2, 2).transpose(0, 1);
    Npy.write(p, view);
    assertArrayEquals(new float[] {1, 3, 2, 4}, Npy.read(p).toFloatArray());
  }

  @Test
  void headerIsPaddedToSixtyFourBytesAsNumpyWritesIt() throws Exception {
    Path p = dir.resolve("h.npy");
    Npy.write(p, Tensor.fromFloats(new float[] {1, 2, 3}, 3));
    byte[] b = Files.readAllBytes(p);
    assertEquals(128 + 12, b.length);
    String header = new String(b, 10, 118, StandardCharsets.ISO_8859_1);
    assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"), header);
    assertEquals('\n', header.charAt(117));
    assertEquals(118, (b[8] & 0xff) | (b[9] & 0xff) << 8);
  }

  @Test
  void readsVersionTwoHeaders() throws Exception {
    Path p = dir.resolve("v2.npy");
    Files.write(p, file(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", new byte[] {5, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}));
    assertArrayEquals(new long[] {5, 6}, Npy.read(p).toLongArray());
  }

  @Test
  void rejectsWhatItCannotLoadNamingFileAndReason() throws Exception {
    assertRejected("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", new byte[8], "fortran_order");
    assertRejected("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new byte[8], "big-endian");
    assertRejected("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new byte[16], "object");
    assertRejected("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new byte[16], "unsupported dtype '<c8'");
    assertRejected("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new byte[20], "truncated: 20 bytes, expected 24");
    Path p = dir.resolve("junk.npy");
    Files.writeString(p, "not numpy at all");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains("magic"), e.getMessage());
  }

  private void assertRejected(String header, byte[] data, String expected) throws Exception {
    Path p = dir.resolve("bad.npy");
    Files.write(p, file(1, header, data));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.read(p));
    assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private static byte[] file(int version, String header, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
    byte[] h = (header + "\n").getBytes(StandardCharsets.ISO_8859_1);
    out.write(h.length & 0xff);
    out.write(h.length >>> 8);
    if (version == 2) out.writeBytes(new byte[] {0, 0});
    out.writeBytes(h);
    out.writeBytes(data);
    return out.toByteArray();
  }
}
