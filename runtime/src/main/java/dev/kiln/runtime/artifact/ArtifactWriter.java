package dev.kiln.runtime.artifact;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes {@code .kiln} artifacts: one zip holding, in this order, {@code manifest.json}, {@code graph.kir} (the
 * optimized graph as IR text), {@code weights.bin} (stored uncompressed, each weight 64-byte aligned, so a loader may
 * map it), for jvm {@code classes/<internal/name>.class}, for llvm {@code native/libkiln_model.so} and
 * {@code native/plan.json}. Entries carry a fixed time, so the same inputs give the
 * same bytes.
 */
public final class ArtifactWriter {
  private ArtifactWriter() {}

  /** Entry times are fixed so that artifacts are reproducible. */
  private static final LocalDateTime EPOCH = LocalDateTime.of(2020, 1, 1, 0, 0);

  /**
   * Writes an artifact for this machine ({@link Target#host()}) to {@code out}, replacing it only once complete.
   *
   * @param out the file to write, not null
   * @param graph the optimized graph, verified here; not edited
   * @param weights every tensor the graph's {@code const {name=...}} nodes read (others are stored too; may be empty)
   * @param backend "interp" or "jvm"
   * @param pipeline the pass pipeline that produced {@code graph}, recorded for people (may be empty, not null)
   * @param entryClass for jvm: the binary name of the generated {@code CompiledModel} class; null for interp
   * @param classes for jvm: class name (binary {@code gen.Model} or internal {@code gen/Model}) to class file bytes;
   *     empty or null for interp
   * @throws IllegalArgumentException when the pieces do not make an artifact (unknown backend, a weight the graph
   *     needs is missing, the entry class is not among the classes ...)
   */
  public static void write(Path out, Graph graph, Map<String, Tensor> weights, String backend, String pipeline,
      String entryClass, Map<String, byte[]> classes) throws IOException {
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp)) {
      write(os, graph, weights, backend, pipeline, entryClass, classes, Target.host());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
  }

  /** As {@link #write(Path, Graph, Map, String, String, String, Map)}, to a stream, for a given target; does not close {@code out}. */
  public static void write(OutputStream out, Graph graph, Map<String, Tensor> weights, String backend, String pipeline,
      String entryClass, Map<String, byte[]> classes, Target target) throws IOException {
    write(out, graph, weights, backend, pipeline, entryClass, classes, target, null);
  }

  /**
   * Writes an llvm artifact: as {@link #write(Path, Graph, Map, String, String, String, Map)} with backend
   * {@code llvm}, plus the shared library and its plan ({@code native/}), described in the manifest's {@code native}
   * field with the target CPU, its features and both entries' SHA-256.
   *
   * @param pipeline the pass pipeline that produced {@code graph} (may be empty, not null)
   * @param code the library, plan and target, not null
   */
  public static void writeNative(Path out, Graph graph, Map<String, Tensor> weights, String pipeline, NativeFiles code) throws IOException {
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp)) {
      writeNative(os, graph, weights, pipeline, code, Target.host());
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
  }

  /** As {@link #writeNative(Path, Graph, Map, String, NativeFiles)}, to a stream; does not close {@code out}. */
  public static void writeNative(OutputStream out, Graph graph, Map<String, Tensor> weights, String pipeline, NativeFiles code,
      Target target) throws IOException {
    write(out, graph, weights, "llvm", pipeline, null, Map.of(), target, java.util.Objects.requireNonNull(code, "code"));
  }

  private static void write(OutputStream out, Graph graph, Map<String, Tensor> weights, String backend, String pipeline,
      String entryClass, Map<String, byte[]> classes, Target target, NativeFiles code) throws IOException {
    Map<String, byte[]> cls = internalNames(classes == null ? Map.of() : classes);
    checkPieces(graph, weights, backend, entryClass, cls);
    if (backend.equals("llvm") != (code != null))
      throw new IllegalArgumentException(backend.equals("llvm") ? "an llvm artifact needs its native code (ArtifactWriter.writeNative)"
          : "the " + backend + " backend stores no native code");
    String text = IrPrinter.print(graph);
    // The stored text is what loaders see: derive the signature from it, not from the in-memory graph.
    Graph stored = IrParser.parse(text, "graph.kir");
    Map<String, Tensor> contiguous = new LinkedHashMap<>();
    weights.forEach((k, v) -> contiguous.put(k, v.contiguous()));
    WeightBlob.Layout layout = WeightBlob.layout(contiguous);
    WeightBlob.Digest digest = WeightBlob.digest(layout, contiguous);
    Manifest m = new Manifest(Manifest.FORMAT, KilnVersion.CURRENT, backend, target, pipeline, stored.name(),
        Ports.inputs(stored), Ports.outputs(stored), digest.sha256(), layout.size(), layout.entries(), entryClass,
        code == null ? null : code.describe());

    ZipOutputStream zip = new ZipOutputStream(out);
    putDeflated(zip, "manifest.json", Json.write(m.toJson()).getBytes(StandardCharsets.UTF_8));
    putDeflated(zip, "graph.kir", text.getBytes(StandardCharsets.UTF_8));
    ZipEntry w = entry("weights.bin");
    w.setMethod(ZipEntry.STORED);
    w.setSize(layout.size());
    w.setCompressedSize(layout.size());
    w.setCrc(digest.crc32());
    zip.putNextEntry(w);
    WeightBlob.write(layout, contiguous, zip);
    zip.closeEntry();
    for (Map.Entry<String, byte[]> c : new TreeMap<>(cls).entrySet()) putDeflated(zip, "classes/" + c.getKey() + ".class", c.getValue());
    if (code != null) {
      putDeflated(zip, NativeFiles.LIBRARY_ENTRY, code.library());
      putDeflated(zip, Manifest.NativeCode.PLAN_ENTRY, code.planBytes());
    }
    zip.finish();
    out.flush();
  }

  private static void checkPieces(Graph graph, Map<String, Tensor> weights, String backend, String entryClass, Map<String, byte[]> cls) {
    Verifier.verify(graph);
    if (!ManifestCheck.BACKENDS.contains(backend))
      throw new IllegalArgumentException("backend \"" + backend + "\": expected one of " + ManifestCheck.BACKENDS.stream().sorted().toList());
    boolean jvm = backend.equals("jvm");
    if (!jvm && (entryClass != null || !cls.isEmpty()))
      throw new IllegalArgumentException("the " + backend + " backend stores no classes; got entry class " + entryClass + " and " + cls.size() + " classes");
    if (jvm && entryClass == null) throw new IllegalArgumentException("a jvm artifact needs its entry class");
    if (jvm && !cls.containsKey(entryClass.replace('.', '/')))
      throw new IllegalArgumentException("entry class " + entryClass + " is not among the " + cls.size() + " classes " + cls.keySet());
    List<String> missing = new ArrayList<>();
    for (Node n : graph.allNodes()) {
      if (!n.op().name().equals("const") || n.attrIsNone("name")) continue;
      Tensor t = weights.get(n.attrStr("name"));
      if (t == null) missing.add(n.attrStr("name"));
    }
    if (!missing.isEmpty())
      throw new IllegalArgumentException("graph @" + graph.name() + " reads weights " + missing + " that are not in the weight table");
  }

  /** Keys as internal names ({@code gen/Model}), whichever form the caller used. */
  private static Map<String, byte[]> internalNames(Map<String, byte[]> classes) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : classes.entrySet()) {
      String k = e.getKey().endsWith(".class") ? e.getKey().substring(0, e.getKey().length() - 6) : e.getKey();
      out.put(k.replace('.', '/'), e.getValue());
    }
    return out;
  }

  private static ZipEntry entry(String name) {
    ZipEntry e = new ZipEntry(name);
    e.setTimeLocal(EPOCH);
    return e;
  }

  private static void putDeflated(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
    ZipEntry e = entry(name);
    e.setMethod(ZipEntry.DEFLATED);
    zip.putNextEntry(e);
    zip.write(bytes);
    zip.closeEntry();
  }
}
