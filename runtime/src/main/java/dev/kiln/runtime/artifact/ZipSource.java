package dev.kiln.runtime.artifact;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * The entries of a {@code .kiln} zip, with the safety checks that come before any entry is interpreted: only the
 * names an artifact may hold (no paths that climb out, no absolute paths, no directories, no duplicates), a cap on
 * the number of entries, and reads bounded by per-entry limits whatever sizes the zip claims. A file is read through
 * {@link ZipFile} (entries are opened on demand); a stream is read once, each entry into memory.
 */
abstract sealed class ZipSource implements AutoCloseable {
  static final int MAX_ENTRIES = 100_000;
  static final String MANIFEST = "manifest.json", GRAPH = "graph.kir", WEIGHTS = "weights.bin";
  /** classes/ then an internal class name: Java identifiers separated by '/', then .class. */
  /** native/ then a library file name, or the plan (llvm artifacts). */
  private static final Pattern NATIVE_ENTRY = Pattern.compile("native/([A-Za-z0-9_.-]+\\.so|plan\\.json)");
  private static final Pattern CLASS_ENTRY = Pattern.compile("classes/([A-Za-z_$][A-Za-z0-9_$]*(/[A-Za-z_$][A-Za-z0-9_$]*)*)\\.class");

  /** An entry as the zip describes it: size -1 when unknown (streamed), method as in {@link ZipEntry}. */
  record Info(String name, long size, int method) {}

  final String source;
  final Map<String, Info> entries = new LinkedHashMap<>();
  final List<String> problems = new ArrayList<>();

  ZipSource(String source) { this.source = source; }

  /** The internal class name of a classes/ entry, or null when {@code name} is not one. */
  static String className(String name) {
    var m = CLASS_ENTRY.matcher(name);
    return m.matches() ? m.group(1) : null;
  }

  /** True for a native/ entry name an llvm artifact may hold. */
  static boolean isNative(String name) { return NATIVE_ENTRY.matcher(name).matches(); }

  /** Records {@code e}, or a problem when an artifact may not hold such a name. */
  final void add(String name, long size, int method) {
    if (entries.size() >= MAX_ENTRIES) {
      if (entries.size() == MAX_ENTRIES) problems.add("more than " + MAX_ENTRIES + " entries");
      return;
    }
    boolean known = name.equals(MANIFEST) || name.equals(GRAPH) || name.equals(WEIGHTS) || className(name) != null || isNative(name);
    if (!known) problems.add("entry \"" + printable(name) + "\" is not one an artifact holds (manifest.json, graph.kir, weights.bin,"
        + " classes/<name>.class, native/<name>.so, native/plan.json)");
    else if (entries.containsKey(name)) problems.add("entry \"" + name + "\" appears twice");
    else entries.put(name, new Info(name, size, method));
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    return sb.length() > 200 ? sb.substring(0, 200) + "..." : sb.toString();
  }

  /** A stream over an entry that is present. */
  abstract InputStream open(String name) throws IOException;

  /**
   * All bytes of an entry, at most {@code limit}.
   *
   * @throws ArtifactException when the entry is larger than the limit or shorter/longer than the zip says
   */
  final byte[] readAll(String name, long limit) throws IOException {
    Info i = entries.get(name);
    String where = source + "!" + name;
    if (i.size() > limit) throw new ArtifactException(where, i.size() + " bytes, more than the limit of " + limit);
    try (InputStream in = open(name)) {
      byte[] b = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
      if (b.length > limit) throw new ArtifactException(where, "more than the limit of " + limit + " bytes");
      if (i.size() >= 0 && b.length != i.size())
        throw new ArtifactException(where, "holds " + b.length + " bytes, the zip directory says " + i.size() + " (truncated or damaged)");
      return b;
    } catch (ZipException e) {
      throw new ArtifactException(where, "damaged zip data (" + e.getMessage() + ")", e);
    }
  }

  static ZipSource of(Path file) throws IOException {
    try {
      return new FromFile(file);
    } catch (ZipException e) {
      throw new ArtifactException(file.toString(), "not a zip archive, or a damaged one (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads {@code in} to its end.
   *
   * @param limit most bytes any one entry may hold (the stream gives no sizes up front)
   */
  static ZipSource of(InputStream in, String source, long limit) throws IOException {
    return new FromStream(in, source, limit);
  }

  @Override public void close() throws IOException {}

  static final class FromFile extends ZipSource {
    private final ZipFile zip;

    FromFile(Path file) throws IOException {
      super(file.toString());
      zip = new ZipFile(file.toFile());
      for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        add(e.getName(), e.getSize(), e.getMethod());
      }
    }

    @Override InputStream open(String name) throws IOException { return zip.getInputStream(zip.getEntry(name)); }

    @Override public void close() throws IOException { zip.close(); }
  }

  static final class FromStream extends ZipSource {
    private final Map<String, byte[]> data = new LinkedHashMap<>();

    FromStream(InputStream in, String source, long limit) throws IOException {
      super(source);
      try {
        ZipInputStream zin = new ZipInputStream(in);
        boolean any = false;
        for (ZipEntry e; (e = zin.getNextEntry()) != null; ) {
          any = true;
          int before = entries.size();
          add(e.getName(), -1, e.getMethod());
          if (entries.size() == before) continue; // refused: do not read it
          byte[] b = zin.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
          if (b.length > limit) throw new ArtifactException(source + "!" + e.getName(), "more than the limit of " + limit + " bytes");
          data.put(e.getName(), b);
          entries.put(e.getName(), new Info(e.getName(), b.length, e.getMethod())); // now the size is known
        }
        if (!any) throw new ArtifactException(source, "not a zip archive, or an empty one");
      } catch (ZipException e) {
        throw new ArtifactException(source, "damaged zip data (" + e.getMessage() + ")", e);
      }
    }

    @Override InputStream open(String name) { return new ByteArrayInputStream(data.get(name)); }
  }
}
