package dev.kiln.frontend.archive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finds the committed fixtures (tests/fixtures/models) and reads the .npy files the generator wrote next to them. */
final class Fixtures {
  private Fixtures() {}

  /** An .npy array: shape and values widened to double. */
  record Npy(long[] shape, double[] values) {}

  static Path models() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path m = p.resolve("tests/fixtures/models");
      if (Files.isDirectory(m)) return m;
    }
    throw new IllegalStateException("tests/fixtures/models not found above " + Path.of("").toAbsolutePath()
        + "; run /usr/bin/python3 tests/fixtures/gen_models.py");
  }

  static Path model(String name, String file) { return models().resolve(name).resolve(file); }

  /** Reads a little-endian C-order .npy of f4, f8, i8 or i4 (what the generator writes). */
  static Npy npy(Path p) {
    try {
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
      if (b.get() != (byte) 0x93 || b.get() != 'N') throw new IllegalArgumentException(p + ": not an .npy file");
      b.position(6);
      int major = b.get();
      b.get();
      int headerLen = major == 1 ? b.getShort() & 0xFFFF : b.getInt();
      byte[] h = new byte[headerLen];
      b.get(h);
      String header = new String(h, StandardCharsets.ISO_8859_1);
      String descr = match(header, "'descr':\\s*'([^']+)'");
      if (!match(header, "'fortran_order':\\s*(\\w+)").equals("False"))
        throw new IllegalArgumentException(p + ": Fortran order");
      String shapeText = match(header, "'shape':\\s*\\(([^)]*)\\)");
      long[] shape = Arrays.stream(shapeText.split(",")).map(String::strip).filter(s -> !s.isEmpty())
          .mapToLong(Long::parseLong).toArray();
      long n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
      double[] v = new double[(int) n];
      for (int i = 0; i < n; i++) {
        v[i] = switch (descr) {
          case "<f4" -> b.getFloat();
          case "<f8" -> b.getDouble();
          case "<i8" -> b.getLong();
          case "<i4" -> b.getInt();
          default -> throw new IllegalArgumentException(p + ": dtype " + descr);
        };
      }
      return new Npy(shape, v);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String match(String header, String regex) {
    Matcher m = Pattern.compile(regex).matcher(header);
    if (!m.find()) throw new IllegalArgumentException("npy header without " + regex + ": " + header);
    return m.group(1);
  }
}
