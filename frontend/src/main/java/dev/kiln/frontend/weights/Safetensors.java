package dev.kiln.frontend.weights;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import dev.kiln.runtime.artifact.Json;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor
 * name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets into the data after the header; an
 * optional {@code __metadata__} object of strings), then the raw little-endian data. Nothing in the file is executed;
 * every offset and size is checked before data is copied.
 */
public final class Safetensors {
  private Safetensors() {}

  /** Largest header accepted, as in the reference implementation. */
  static final long MAX_HEADER = 100L << 20;

  private static final Map<String, DType> DTYPES = Map.of("F64", DType.F64, "F32", DType.F32, "F16", DType.F16,
      "BF16", DType.BF16, "I64", DType.I64, "I32", DType.I32, "I16", DType.I16, "I8", DType.I8, "U8", DType.U8,
      "BOOL", DType.BOOL);

  /**
   * Reads every tensor into heap memory, in header order.
   *
   * @throws WeightsException naming the file, the tensor and what was expected
   */
  public static Map<String, Tensor> read(Path file) {
    String name = file.toString();
    MemorySegment all;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
    } catch (IOException e) {
      throw new WeightsException(name + ": cannot read: " + e.getMessage(), e);
    }
    if (all.byteSize() < 8) throw new WeightsException(name + ": " + all.byteSize() + " bytes, too short for a safetensors header length");
    long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
    if (n <= 0 || n > MAX_HEADER || n > all.byteSize() - 8)
      throw new WeightsException(name + ": header length " + n + " is not within 1.." + Math.min(MAX_HEADER, all.byteSize() - 8)
          + " (file of " + all.byteSize() + " bytes); not a safetensors file?");
    String header;
    try {
      header = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .decode(all.asSlice(8, n).asByteBuffer()).toString();
    } catch (CharacterCodingException e) {
      throw new WeightsException(name + ": header is not valid UTF-8");
    }
    Object parsed;
    try {
      parsed = Json.parse(header, "JSON header");
    } catch (IllegalArgumentException e) {
      throw new WeightsException(name + ": " + e.getMessage());
    }
    if (!(parsed instanceof Map<?, ?> entries)) throw new WeightsException(name + ": header is not a JSON object");
    MemorySegment data = all.asSlice(8 + n);
    Map<String, Tensor> out = new LinkedHashMap<>();
    List<long[]> spans = new ArrayList<>();
    for (Map.Entry<?, ?> e : entries.entrySet()) {
      String key = (String) e.getKey();
      if (key.equals("__metadata__")) {
        if (!(e.getValue() instanceof Map<?, ?> m) || !m.values().stream().allMatch(v -> v instanceof String))
          throw new WeightsException(name + ": __metadata__ must be an object of strings");
        continue;
      }
      out.put(key, tensor(name, key, e.getValue(), data, spans));
    }
    spans.sort((a, b) -> Long.compare(a[0], b[0]));
    for (int k = 1; k < spans.size(); k++)
      if (spans.get(k)[0] < spans.get(k - 1)[1]) throw new WeightsException(name + ": tensors overlap at data offset " + spans.get(k)[0]);
    return out;
  }

  private static Tensor tensor(String file, String key, Object spec, MemorySegment data, List<long[]> spans) {
    String where = file + ": tensor \"" + key + "\"";
    if (!(spec instanceof Map<?, ?> m)) throw new WeightsException(where + ": expected {dtype, shape, data_offsets}");
    DType dtype = m.get("dtype") instanceof String s ? DTYPES.get(s) : null;
    if (dtype == null) throw new WeightsException(where + ": dtype " + m.get("dtype") + " is not one of " + DTYPES.keySet());
    long[] shape = longs(where, "shape", m.get("shape"), -1);
    long[] off = longs(where, "data_offsets", m.get("data_offsets"), 2);
    long numel = 1;
    for (long d : shape) {
      if (d < 0) throw new WeightsException(where + ": negative size in shape");
      numel = Math.multiplyExact(numel, d);
    }
    long bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
    if (off[0] < 0 || off[1] < off[0] || off[1] > data.byteSize())
      throw new WeightsException(where + ": data_offsets [" + off[0] + "," + off[1] + "] are outside the " + data.byteSize() + " data bytes");
    if (off[1] - off[0] != bytes)
      throw new WeightsException(where + ": data_offsets span " + (off[1] - off[0]) + " bytes, expected " + bytes + " for " + dtype + Tensor.dims(shape));
    if (numel > Integer.MAX_VALUE - 8) throw new WeightsException(where + ": too many elements for a Java array");
    spans.add(off);
    return copy(data.asSlice(off[0], bytes), dtype, (int) numel, shape);
  }

  private static long[] longs(String where, String field, Object o, int count) {
    if (!(o instanceof List<?> l) || (count >= 0 && l.size() != count) || !l.stream().allMatch(v -> v instanceof Long))
      throw new WeightsException(where + ": " + field + " must be a list of " + (count >= 0 ? count + " " : "") + "integers, got " + o);
    return l.stream().mapToLong(v -> (Long) v).toArray();
  }

  /** Little-endian bytes into a heap array of the dtype's width, as the runtime's kernels expect. */
  private static Tensor copy(MemorySegment src, DType dtype, int n, long[] shape) {
    ByteOrder le = ByteOrder.LITTLE_ENDIAN;
    return switch (dtype.byteSize()) {
      case 8 -> {
        long[] a = new long[n];
        MemorySegment.copy(src, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(le), 0, a, 0, n);
        yield Tensor.of(dtype, MemorySegment.ofArray(a), shape);
      }
      case 4 -> {
        if (dtype == DType.F32) {
          float[] a = new float[n];
          MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(le), 0, a, 0, n);
          yield Tensor.wrapFloats(a, shape);
        }
        int[] a = new int[n];
        MemorySegment.copy(src, ValueLayout.JAVA_INT_UNALIGNED.withOrder(le), 0, a, 0, n);
        yield Tensor.of(dtype, MemorySegment.ofArray(a), shape);
      }
      case 2 -> {
        short[] a = new short[n];
        MemorySegment.copy(src, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(le), 0, a, 0, n);
        yield Tensor.of(dtype, MemorySegment.ofArray(a), shape);
      }
      default -> {
        byte[] a = new byte[n];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, a, 0, n);
        yield Tensor.of(dtype, MemorySegment.ofArray(a), shape);
      }
    };
  }

  /** Writes {@code tensors} (f32, f64, i64, i32, bool ...) in map order, header padded to 8 bytes with spaces. */
  public static void write(Path file, Map<String, Tensor> tensors) {
    Map<String, Object> header = new LinkedHashMap<>();
    long at = 0;
    List<Tensor> order = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      Tensor t = e.getValue().contiguous();
      String code = DTYPES.entrySet().stream().filter(d -> d.getValue() == t.dtype()).findFirst()
          .orElseThrow(() -> new WeightsException(file + ": tensor \"" + e.getKey() + "\": dtype " + t.dtype() + " has no safetensors code")).getKey();
      long bytes = t.numel() * t.dtype().byteSize();
      List<Long> shape = new ArrayList<>();
      for (long d : t.shape()) shape.add(d);
      header.put(e.getKey(), Map.of("dtype", code, "shape", shape, "data_offsets", List.of(at, at + bytes)));
      at += bytes;
      order.add(t);
    }
    byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(8 + padded + at)]);
    out.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, padded);
    MemorySegment.copy(MemorySegment.ofArray(json), 0, out, 8, json.length);
    for (int k = json.length; k < padded; k++) out.set(ValueLayout.JAVA_BYTE, 8 + k, (byte) ' ');
    long pos = 8 + padded;
    for (Tensor t : order) {
      long bytes = t.numel() * t.dtype().byteSize();
      // Heap segments are in the machine's order; the format is little-endian, like every machine Kiln runs on.
      if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new WeightsException("writing safetensors needs a little-endian machine");
      MemorySegment.copy(t.segment(), 0, out, pos, bytes);
      pos += bytes;
    }
    try {
      Files.write(file, out.toArray(ValueLayout.JAVA_BYTE));
    } catch (IOException e) {
      throw new WeightsException(file + ": cannot write: " + e.getMessage(), e);
    }
  }
}
