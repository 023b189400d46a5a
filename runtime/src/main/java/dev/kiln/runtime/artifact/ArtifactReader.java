package dev.kiln.runtime.artifact;

import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.Manifest.WeightEntry;
import dev.kiln.runtime.artifact.ZipSource.Info;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;

/**
 * Reads and checks {@code .kiln} artifacts. The order is fixed so nothing is trusted before it is checked: zip entry
 * names and sizes, then the manifest against this runtime ({@link ManifestCheck}) and against the entries present
 * (weights.bin stored uncompressed; classes only for jvm, the entry class among them, none in the JDK's or Kiln's own
 * packages), then graph.kir (parsed, verified, and matching the manifest's signature and weight index), then the
 * weights (every byte hashed against the manifest's SHA-256), then the class files (read, never loaded here).
 */
public final class ArtifactReader {
  private ArtifactReader() {}

  public static final long MAX_MANIFEST_BYTES = 1L << 20;
  public static final long MAX_GRAPH_BYTES = 256L << 20;
  public static final long MAX_CLASS_BYTES = 16L << 20;
  public static final long MAX_CLASSES_BYTES = 256L << 20;
  public static final long MAX_LIBRARY_BYTES = 512L << 20;
  public static final long MAX_PLAN_BYTES = 64L << 20;
  /** A streamed artifact is held in memory entry by entry, so its weights must fit one Java array. */
  public static final long MAX_STREAMED_ENTRY_BYTES = Integer.MAX_VALUE - 8;

  /** Packages an artifact may not define classes in: the JDK's and the exact packages of Kiln's runtime API. */
  private static final List<String> FORBIDDEN_PREFIXES = List.of("java/", "javax/", "jdk/", "sun/", "com/sun/");
  private static final Set<String> FORBIDDEN_PACKAGES = Set.of("dev/kiln/ir", "dev/kiln/ir/text", "dev/kiln/ir/ops",
      "dev/kiln/runtime", "dev/kiln/runtime/exec", "dev/kiln/runtime/artifact", "dev/kiln/runtime/interp", "dev/kiln/runtime/kernels",
      "dev/kiln/runtime/nativelib");

  /** Reads a file; weights.bin is streamed straight into the weight tensors. */
  public static Artifact read(Path file) throws IOException {
    try (ZipSource z = ZipSource.of(file)) {
      return read(z);
    }
  }

  /**
   * Reads an artifact from a stream (a class-path resource, a download) to its end; does not close {@code in}.
   *
   * @param sourceName names the artifact in messages
   */
  public static Artifact read(InputStream in, String sourceName) throws IOException {
    try (ZipSource z = ZipSource.of(in, sourceName, MAX_STREAMED_ENTRY_BYTES)) {
      return read(z);
    }
  }

  private static Artifact read(ZipSource z) throws IOException {
    String src = z.source;
    List<String> problems = new ArrayList<>(z.problems);
    for (String required : List.of(ZipSource.MANIFEST, ZipSource.GRAPH, ZipSource.WEIGHTS))
      if (!z.entries.containsKey(required)) problems.add("entry " + required + " is missing");
    if (!problems.isEmpty()) throw new ArtifactException(src, problems);

    Manifest m = readManifest(z);
    Info weights = z.entries.get(ZipSource.WEIGHTS);
    ManifestCheck.Result r = ManifestCheck.check(m, weights.size(), Target.host());
    problems.addAll(r.problems());
    if (weights.method() != ZipEntry.STORED) problems.add("weights.bin: compressed; it must be stored uncompressed");
    checkClassEntries(z, m, problems);
    checkNativeEntries(z, m, problems);
    if (!problems.isEmpty()) throw new ArtifactException(src + "!" + ZipSource.MANIFEST, problems);

    Graph g = readGraph(z, m);
    Map<String, Tensor> w;
    try (InputStream in = z.open(ZipSource.WEIGHTS)) {
      w = WeightBlob.read(in, m, src + "!" + ZipSource.WEIGHTS);
    }
    return new Artifact(src, m, g, w, readClasses(z), r.notes(), readNative(z, m));
  }

  /** llvm: exactly the library and the plan the manifest names; others: no native/ entries. */
  private static void checkNativeEntries(ZipSource z, Manifest m, List<String> problems) {
    Manifest.NativeCode n = m.nativeCode();
    boolean llvm = m.backend().equals("llvm") && n != null;
    for (Info i : z.entries.values()) {
      if (!ZipSource.isNative(i.name())) continue;
      if (!llvm) problems.add(i.name() + ": the " + m.backend() + " backend runs no native code, so an artifact for it holds no native/ entries");
      else if (!i.name().equals(n.library()) && !i.name().equals(n.plan()))
        problems.add(i.name() + ": not the library (" + n.library() + ") or the plan (" + n.plan() + ") the manifest names");
    }
    if (!llvm) return;
    if (!z.entries.containsKey(n.library())) problems.add("native.library: the artifact has no entry " + n.library());
    else if (z.entries.get(n.library()).size() > MAX_LIBRARY_BYTES)
      problems.add(n.library() + ": " + z.entries.get(n.library()).size() + " bytes, more than the limit of " + MAX_LIBRARY_BYTES);
    if (n.plan() != null && !z.entries.containsKey(n.plan())) problems.add("native.plan: the artifact has no entry " + n.plan());
  }

  /** Reads the library and the plan, each checked against its SHA-256 in the manifest. */
  private static Map<String, byte[]> readNative(ZipSource z, Manifest m) throws IOException {
    Manifest.NativeCode n = m.nativeCode();
    if (!m.backend().equals("llvm") || n == null) return Map.of();
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(n.library(), checked(z, n.library(), MAX_LIBRARY_BYTES, n.librarySha256()));
    out.put(n.plan(), checked(z, n.plan(), MAX_PLAN_BYTES, n.planSha256()));
    return out;
  }

  private static byte[] checked(ZipSource z, String entry, long limit, String sha256) throws IOException {
    byte[] b = z.readAll(entry, limit);
    String got = sha256Hex(b);
    if (!got.equals(sha256))
      throw new ArtifactException(z.source + "!" + entry, "SHA-256 " + got + ", the manifest says " + sha256 + " (damaged or replaced)");
    return b;
  }

  /** Lower-case hex SHA-256 of {@code b}. */
  static String sha256Hex(byte[] b) { return java.util.HexFormat.of().formatHex(WeightBlob.sha256().digest(b)); }

  private static Manifest readManifest(ZipSource z) throws IOException {
    String where = z.source + "!" + ZipSource.MANIFEST;
    String text = utf8(z.readAll(ZipSource.MANIFEST, MAX_MANIFEST_BYTES), where);
    Object json;
    try {
      json = Json.parse(text, where);
    } catch (IllegalArgumentException bad) {
      throw new ArtifactException(where, "not valid JSON: " + bad.getMessage().substring(where.length() + 2));
    }
    return Manifest.fromJson(json, where);
  }

  private static void checkClassEntries(ZipSource z, Manifest m, List<String> problems) {
    boolean jvm = m.backend().equals("jvm");
    long total = 0;
    for (Info i : z.entries.values()) {
      String cls = ZipSource.className(i.name());
      if (cls == null) continue;
      if (!jvm) { problems.add(i.name() + ": the " + m.backend() + " backend runs no generated code, so an artifact for it holds no classes"); continue; }
      String pkg = cls.contains("/") ? cls.substring(0, cls.lastIndexOf('/')) : "";
      if (FORBIDDEN_PREFIXES.stream().anyMatch(cls::startsWith) || FORBIDDEN_PACKAGES.contains(pkg))
        problems.add(i.name() + ": defines a class in package " + pkg.replace('/', '.') + ", which belongs to the JDK or the Kiln runtime");
      if (i.size() > MAX_CLASS_BYTES) problems.add(i.name() + ": " + i.size() + " bytes, more than the limit of " + MAX_CLASS_BYTES);
      total += Math.max(0, i.size());
    }
    if (total > MAX_CLASSES_BYTES) problems.add("classes/: " + total + " bytes in all, more than the limit of " + MAX_CLASSES_BYTES);
    if (jvm && m.entryClass() != null && !z.entries.containsKey("classes/" + m.entryClass().replace('.', '/') + ".class"))
      problems.add("entry_class: " + m.entryClass() + " has no entry classes/" + m.entryClass().replace('.', '/') + ".class");
  }

  /** Parses and verifies graph.kir and checks that it is the graph the manifest describes. */
  private static Graph readGraph(ZipSource z, Manifest m) throws IOException {
    String where = z.source + "!" + ZipSource.GRAPH;
    String text = utf8(z.readAll(ZipSource.GRAPH, MAX_GRAPH_BYTES), where);
    Graph g;
    try {
      g = IrParser.parse(text, where);
      Verifier.verify(g);
    } catch (IrException bad) {
      throw new ArtifactException(where, bad.getMessage());
    }
    List<String> problems = new ArrayList<>();
    if (!g.name().equals(m.graphName())) problems.add("graph @" + g.name() + ", the manifest says @" + m.graphName());
    if (!Ports.inputs(g).equals(m.inputs())) problems.add("parameters " + Ports.inputs(g) + " differ from the manifest's inputs " + m.inputs());
    if (!Ports.outputs(g).equals(m.outputs())) problems.add("results " + Ports.outputs(g) + " differ from the manifest's outputs " + m.outputs());
    Map<String, WeightEntry> index = new LinkedHashMap<>();
    for (WeightEntry w : m.weights()) index.put(w.name(), w);
    for (Node n : g.allNodes()) {
      if (!n.op().name().equals("const") || n.attrIsNone("name")) continue;
      String name = n.attrStr("name");
      WeightEntry w = index.get(name);
      if (w == null) { problems.add(n.describe() + ": weight \"" + name + "\" is not in the manifest's weight index"); continue; }
      if (n.result().type() instanceof TensorType tt && !fits(tt, w))
        problems.add(n.describe() + ": weight \"" + name + "\" is " + w.dtype() + w.shape().toString().replace(" ", "")
            + " in weights.bin, the graph reads it as " + tt.text());
    }
    if (!problems.isEmpty()) throw new ArtifactException(where, problems);
    return g;
  }

  /** Same dtype, and the same sizes wherever the graph's type gives one. */
  private static boolean fits(TensorType tt, WeightEntry w) {
    if (tt.dtype() != w.dtype()) return false;
    if (!tt.shape().isRanked()) return true;
    if (tt.rank() != w.shape().size()) return false;
    for (int i = 0; i < tt.rank(); i++) if (tt.shape().dim(i).isStatic() && tt.shape().dim(i).size() != w.shape().get(i)) return false;
    return true;
  }

  private static Map<String, byte[]> readClasses(ZipSource z) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Info i : z.entries.values()) {
      String cls = ZipSource.className(i.name());
      if (cls == null) continue;
      byte[] b = z.readAll(i.name(), MAX_CLASS_BYTES);
      if (b.length < 4 || !Arrays.equals(b, 0, 4, new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE}, 0, 4))
        throw new ArtifactException(z.source + "!" + i.name(), "not a class file (no 0xCAFEBABE header)");
      out.put(cls, b);
    }
    return out;
  }

  private static String utf8(byte[] b, String where) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw new ArtifactException(where, "not UTF-8 text");
    }
  }
}
