package dev.kiln.frontend.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken weights files are refused with the file, the tensor or offset, and what was expected. */
class WeightsValidationTest {
  @TempDir Path tmp;

  private Path safetensors(String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path p = tmp.resolve("t.safetensors");
    Files.write(p, b.array());
    return p;
  }

  private String refused(String header, int dataBytes) throws IOException {
    Path p = safetensors(header, dataBytes);
    String m = assertThrows(WeightsException.class, () -> Safetensors.read(p)).getMessage();
    assertTrue(m.startsWith(p + ": "), m);
    return m.substring(p.toString().length() + 2);
  }

  @Test
  void safetensorsHeadersAreChecked() throws IOException {
    assertEquals("tensor \"w\": data_offsets span 8 bytes, expected 12 for f32[3]",
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12));
    assertEquals("tensor \"w\": data_offsets [0,16] are outside the 12 data bytes",
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12));
    assertEquals("tensor \"w\": dtype F8 is not one of ",
        refused("{\"w\":{\"dtype\":\"F8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1).replaceAll("\\[.*]", ""));
    assertEquals("tensor \"w\": shape must be a list of integers, got 3",
        refused("{\"w\":{\"dtype\":\"F32\",\"shape\":3,\"data_offsets\":[0,4]}}", 4));
    assertEquals("tensors overlap at data offset 4", refused("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8));
    assertEquals("__metadata__ must be an object of strings", refused("{\"__metadata__\":{\"n\":1}}", 0));
  }

  @Test
  void jsonErrorsGiveTheLineAndColumnInTheHeader() throws IOException {
    assertEquals("JSON header:1:8: expected a string key", refused("{\"a\":1,}", 0));
    assertEquals("JSON header:1:9: duplicate key \"a\"", refused("{\"a\":1, \"a\":2}", 0));
    assertTrue(refused("{\"a\":1", 0).startsWith("JSON header:1:7: "));
    assertEquals("header is not a JSON object", refused("[1,2]", 0));
  }

  @Test
  void aHeaderLengthPastTheFileIsRefused() throws IOException {
    Path p = tmp.resolve("big.safetensors");
    Files.write(p, ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
    assertEquals(p + ": header length 1000 is not within 1..4 (file of 12 bytes); not a safetensors file?",
        assertThrows(WeightsException.class, () -> Safetensors.read(p)).getMessage());
  }

  /** A torch.save-style zip whose data.pkl is {@code pickle}. */
  private Path torchZip(byte[] pickle) throws IOException {
    Path p = tmp.resolve("sd.pt");
    try (OutputStream os = Files.newOutputStream(p); ZipOutputStream z = new ZipOutputStream(os)) {
      for (var e : Map.of("sd/data.pkl", pickle, "sd/version", "3\n".getBytes(StandardCharsets.US_ASCII)).entrySet()) {
        ZipEntry ze = new ZipEntry(e.getKey());
        CRC32 crc = new CRC32();
        crc.update(e.getValue());
        ze.setMethod(ZipEntry.STORED);
        ze.setSize(e.getValue().length);
        ze.setCrc(crc.getValue());
        z.putNextEntry(ze);
        z.write(e.getValue());
        z.closeEntry();
      }
    }
    return p;
  }

  private static byte[] pickle(String body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x80);
    b.write(2);
    b.writeBytes(body.getBytes(StandardCharsets.ISO_8859_1));
    return b.toByteArray();
  }

  @Test
  void aStateDictEntryThatIsNotATensorIsNamed() throws IOException {
    // OrderedDict() then SETITEMS {'w': 1}
    Path p = torchZip(pickle("ccollections\nOrderedDict\n)R(X\u0001\u0000\u0000\u0000wK\u0001u."));
    assertEquals(p + ": \"w\" holds Long, expected a tensor",
        assertThrows(WeightsException.class, () -> StateDicts.read(p)).getMessage());
  }

  @Test
  void aForbiddenGlobalIsRefusedBeforeAnythingRuns() throws IOException {
    Path p = torchZip(pickle("cos\nsystem\n."));
    String m = assertThrows(WeightsException.class, () -> StateDicts.read(p)).getMessage();
    assertTrue(m.startsWith(p + ": not a readable torch.save state dict: "), m);
    assertTrue(m.contains("forbidden global 'os.system'"), m);
  }
}
