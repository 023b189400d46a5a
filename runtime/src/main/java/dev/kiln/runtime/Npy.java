package dev.kiln.runtime;

import dev.kiln.ir.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files, format versions 1.0 and 2.0, C order, little-endian: f32 ({@code <f4}), f64
 * ({@code <f8}), i64 ({@code <i8}), i32 ({@code <i4}), i8 ({@code |i1}), u8 ({@code |u1}) and bool ({@code |b1}).
 * Anything else (Fortran order, big-endian, objects, other dtypes, truncated data) is an
 * {@link IllegalArgumentException} naming the file and what was found and expected.
 */
public final class Npy {
  private Npy() {}

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final String SUPPORTED = "<f4, <f8, <i8, <i4, |i1, |u1, |b1";
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** Reads the whole file into a new contiguous tensor. */
  public static Tensor read(Path p) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
    }
    return parse(bytes, p.toString());
  }

  /** Parses {@code .npy} bytes; {@code source} names the file in error messages. */
  public static Tensor parse(byte[] bytes, String source) {
    if (bytes.length < 10) throw bad(source, "file of " + bytes.length + " bytes is too short for an npy header");
    for (int i = 0; i < MAGIC.length; i++)
      if (bytes[i] != MAGIC[i]) throw bad(source, "missing the \\x93NUMPY magic; not an npy file");
    int major = bytes[6] & 0xff;
    int headerLen, start;
    if (major == 1) {
      headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8;
      start = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) throw bad(source, "truncated header");
      headerLen = (bytes[8] & 0xff) | (bytes[9] & 0xff) << 8 | (bytes[10] & 0xff) << 16 | (bytes[11] & 0xff) << 24;
      start = 12;
    } else {
      throw bad(source, "format version " + major + "." + (bytes[7] & 0xff) + ", expected 1.0 or 2.0");
    }
    if (headerLen < 0 || start + (long) headerLen > bytes.length)
      throw bad(source, "header of " + headerLen + " bytes runs past the end of the file");
    String header = new String(bytes, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    DType dtype = dtypeOf(source, field(source, header, DESCR, "descr"));
    if (field(source, header, FORTRAN, "fortran_order").equals("True"))
      throw bad(source, "fortran_order is True, expected C order (save with np.ascontiguousarray)");
    long[] shape = shapeOf(source, field(source, header, SHAPE, "shape"));
    long n = Tensor.numel(shape);
    long want = n * dtype.byteSize();
    int dataStart = start + headerLen;
    long have = bytes.length - (long) dataStart;
    if (have < want)
      throw bad(source, "data is truncated: " + have + " bytes, expected " + want + " for " + dtype + Tensor.dims(shape));
    Tensor t = Tensor.zeros(dtype, shape);
    MemorySegment.copy(MemorySegment.ofArray(bytes), dataStart, t.storage(), 0, want);
    return t;
  }

  /** Writes {@code t} as a version 1.0 file (2.0 when the header needs it), C order, little-endian. */
  public static void write(Path p, Tensor t) {
    try {
      Files.write(p, toBytes(t, p.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
    }
  }

  /** The {@code .npy} bytes of {@code t}; {@code target} names the file in error messages. */
  public static byte[] toBytes(Tensor t, String target) {
    String descr = descrOf(t.dtype());
    if (descr == null) throw new IllegalArgumentException(target + ": cannot write dtype " + t.dtype() + " to npy, expected one of f32, f64, i64, i32, i8, u8, bool");
    StringBuilder shape = new StringBuilder("(");
    long[] s = t.shape();
    for (int i = 0; i < s.length; i++) shape.append(s[i]).append(s.length == 1 ? "," : i + 1 < s.length ? ", " : "");
    shape.append(')');
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // Pad with spaces so that the data starts on a 64-byte boundary, header ending in '\n' (as NumPy writes it).
    boolean v2 = dict.length() + 11 > 65535;
    int prefix = v2 ? 12 : 10;
    int total = Math.ceilDiv(prefix + dict.length() + 1, 64) * 64;
    int headerLen = total - prefix;
    byte[] data = new byte[Math.toIntExact(total + t.numel() * t.dtype().byteSize())];
    System.arraycopy(MAGIC, 0, data, 0, MAGIC.length);
    data[6] = (byte) (v2 ? 2 : 1);
    data[8] = (byte) headerLen;
    data[9] = (byte) (headerLen >>> 8);
    if (v2) {
      data[10] = (byte) (headerLen >>> 16);
      data[11] = (byte) (headerLen >>> 24);
    }
    byte[] h = dict.getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(h, 0, data, prefix, h.length);
    for (int i = prefix + h.length; i < total - 1; i++) data[i] = ' ';
    data[total - 1] = '\n';
    MemorySegment seg = t.segment();
    MemorySegment.copy(seg, 0, MemorySegment.ofArray(data), total, seg.byteSize());
    return data;
  }

  private static String descrOf(DType d) {
    return switch (d) {
      case F32 -> "<f4";
      case F64 -> "<f8";
      case I64 -> "<i8";
      case I32 -> "<i4";
      case I8 -> "|i1";
      case U8 -> "|u1";
      case BOOL -> "|b1";
      default -> null;
    };
  }

  private static DType dtypeOf(String source, String descr) {
    DType d = switch (descr) {
      case "<f4" -> DType.F32;
      case "<f8" -> DType.F64;
      case "<i8" -> DType.I64;
      case "<i4" -> DType.I32;
      case "|i1", "<i1" -> DType.I8;
      case "|u1", "<u1" -> DType.U8;
      case "|b1", "<b1", "?" -> DType.BOOL;
      default -> null;
    };
    if (d != null) return d;
    if (descr.startsWith(">") && descr.length() > 2)
      throw bad(source, "big-endian dtype '" + descr + "', expected little-endian (" + SUPPORTED + ")");
    if (descr.contains("O")) throw bad(source, "object dtype '" + descr + "' cannot be loaded, expected one of " + SUPPORTED);
    throw bad(source, "unsupported dtype '" + descr + "', expected one of " + SUPPORTED);
  }

  private static long[] shapeOf(String source, String text) {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String s = part.trim();
      if (s.isEmpty()) continue;
      if (s.endsWith("L")) s = s.substring(0, s.length() - 1);
      try {
        long v = Long.parseLong(s);
        if (v < 0) throw bad(source, "negative dim " + v + " in shape (" + text + ")");
        dims.add(v);
      } catch (NumberFormatException e) {
        throw bad(source, "shape (" + text + ") has '" + s + "', expected integers");
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private static String field(String source, String header, Pattern p, String name) {
    Matcher m = p.matcher(header);
    if (!m.find()) throw bad(source, "header " + header.trim() + " has no '" + name + "' entry");
    return m.group(1);
  }

  private static IllegalArgumentException bad(String source, String what) {
    return new IllegalArgumentException(source + ": " + what);
  }
}
