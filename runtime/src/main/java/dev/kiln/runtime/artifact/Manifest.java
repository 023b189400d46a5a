package dev.kiln.runtime.artifact;

import dev.kiln.ir.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code manifest.json} of a {@code .kiln} artifact: what the model takes and returns, how it was built, and
 * where each weight sits in {@code weights.bin}. {@link #toJson()} and {@link #fromJson} are exact inverses. This
 * record only describes; {@link ManifestCheck} decides whether this runtime can load it.
 *
 * <pre>{@code
 * { "format": 1, "kiln": "0.1.0", "backend": "interp", "target": {"java": 25, "vector_bits": 256},
 *   "pipeline": "fold,cse,dce", "graph": "mlp",
 *   "inputs": [{"name": "x", "type": "f32[N,4]"}], "outputs": [{"name": "probs", "type": "f32[N,3]"}],
 *   "weights": {"sha256": "...", "size": 256,
 *               "index": {"fc1.weight": {"dtype": "f32", "shape": [8, 4], "offset": 0, "length": 128}}},
 *   "entry_class": "gen.Model",   // jvm only
 *   "native": {"library": "native/libkiln_model.so", "library_sha256": "...", "plan": "native/plan.json",
 *              "plan_sha256": "...", "cpu": "znver4", "features": ["+avx2", "+avx512f"]} }  // llvm only
 * }</pre>
 *
 * @param format the artifact format version ({@link #FORMAT} when written by this runtime)
 * @param kilnVersion the Kiln release that wrote it
 * @param backend "interp", "jvm" or "llvm"
 * @param target the machine it was compiled for
 * @param pipeline the pass pipeline that produced the stored graph (may be empty)
 * @param graphName the graph's name in graph.kir
 * @param inputs the graph parameters in order
 * @param outputs the graph results in order
 * @param weightsSha256 lower-case hex SHA-256 of the whole weights.bin
 * @param weightsSize byte size of weights.bin
 * @param weights the index into weights.bin, sorted by offset
 * @param entryClass binary name of the generated {@code CompiledModel} class for jvm; null for interp
 * @param nativeCode the shared library and the CPU it was compiled for, for llvm; null otherwise
 */
public record Manifest(int format, String kilnVersion, String backend, Target target, String pipeline, String graphName,
    List<Port> inputs, List<Port> outputs, String weightsSha256, long weightsSize, List<WeightEntry> weights, String entryClass,
    NativeCode nativeCode) {
  /** The format this runtime writes and reads. */
  public static final int FORMAT = 1;

  /** Weights start at multiples of this many bytes in weights.bin (a cache line; enough for any vector load). */
  public static final int ALIGNMENT = 64;

  public Manifest {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    weights = List.copyOf(weights);
  }

  /**
   * An input or output.
   *
   * @param name unique among the inputs (or among the outputs)
   * @param type its IR type text, e.g. {@code f32[N,3,224,224]} (symbolic dims by name)
   */
  public record Port(String name, String type) {}

  /**
   * One weight in weights.bin: {@code length} bytes at {@code offset}, row-major, little-endian.
   *
   * @param shape sizes, all static
   */
  public record WeightEntry(String name, DType dtype, List<Long> shape, long offset, long length) {
    public WeightEntry { shape = List.copyOf(shape); }

    public long[] sizes() { return shape.stream().mapToLong(Long::longValue).toArray(); }

    public long numel() { long n = 1; for (long s : shape) n *= s; return n; }
  }

  /**
   * A shared library in the artifact and the machine it needs. Native code using an instruction the CPU lacks kills
   * the process, so {@link ManifestCheck} compares {@code features} with the host before anything is loaded.
   *
   * @param library the zip entry holding it, e.g. {@code native/libkiln_model.so}
   * @param cpu the LLVM CPU name it was compiled for, e.g. {@code znver4} or {@code x86-64-v3}
   * @param features LLVM feature strings, e.g. {@code +avx2}; '-' entries are features it must not rely on
   * @param librarySha256 lower-case hex SHA-256 of the library entry; null only in manifests that do not run
   * @param plan the zip entry holding the plan that drives the library ({@code native/plan.json}); null likewise
   * @param planSha256 lower-case hex SHA-256 of the plan entry; null likewise
   */
  public record NativeCode(String library, String cpu, List<String> features, String librarySha256, String plan, String planSha256) {
    /** The entry every llvm artifact keeps its plan in. */
    public static final String PLAN_ENTRY = "native/plan.json";

    public NativeCode { features = List.copyOf(features); }

    /** A description without the entries' hashes and plan (enough for the CPU check). */
    public NativeCode(String library, String cpu, List<String> features) { this(library, cpu, features, null, null, null); }
  }

  /** The JSON object (maps and lists, see {@link Json}) that {@link Json#write} turns into manifest.json. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", format);
    m.put("kiln", kilnVersion);
    m.put("backend", backend);
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("java", target.javaFeature());
    t.put("vector_bits", target.vectorBits());
    m.put("target", t);
    m.put("pipeline", pipeline);
    m.put("graph", graphName);
    m.put("inputs", ports(inputs));
    m.put("outputs", ports(outputs));
    Map<String, Object> index = new LinkedHashMap<>();
    for (WeightEntry w : weights) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("dtype", w.dtype().text());
      e.put("shape", w.shape());
      e.put("offset", w.offset());
      e.put("length", w.length());
      index.put(w.name(), e);
    }
    Map<String, Object> ws = new LinkedHashMap<>();
    ws.put("sha256", weightsSha256);
    ws.put("size", weightsSize);
    ws.put("index", index);
    m.put("weights", ws);
    if (entryClass != null) m.put("entry_class", entryClass);
    if (nativeCode != null) {
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("library", nativeCode.library());
      if (nativeCode.librarySha256() != null) n.put("library_sha256", nativeCode.librarySha256());
      if (nativeCode.plan() != null) n.put("plan", nativeCode.plan());
      if (nativeCode.planSha256() != null) n.put("plan_sha256", nativeCode.planSha256());
      n.put("cpu", nativeCode.cpu());
      n.put("features", nativeCode.features());
      m.put("native", n);
    }
    return m;
  }

  private static List<Object> ports(List<Port> ps) {
    List<Object> out = new ArrayList<>();
    for (Port p : ps) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", p.name());
      e.put("type", p.type());
      out.add(e);
    }
    return out;
  }

  /**
   * Reads a manifest from parsed JSON, checking that every field is present with the right kind. Whether the values
   * make sense for this runtime is {@link ManifestCheck}'s job.
   *
   * @param where the entry for messages, e.g. {@code model.kiln!manifest.json}
   * @throws ArtifactException listing every missing or malformed field
   */
  public static Manifest fromJson(Object json, String where) {
    List<String> problems = new ArrayList<>();
    if (!(json instanceof Map<?, ?> m)) throw new ArtifactException(where, "expected a JSON object at the top");
    Fields f = new Fields(problems);
    int format = (int) f.integer(m, "format", "");
    String kiln = f.string(m, "kiln", "");
    String backend = f.string(m, "backend", "");
    Map<?, ?> t = f.object(m, "target", "");
    Target target = new Target((int) f.integer(t, "java", "target."), (int) f.integer(t, "vector_bits", "target."));
    String pipeline = f.string(m, "pipeline", "");
    String graph = f.string(m, "graph", "");
    List<Port> inputs = f.ports(m, "inputs");
    List<Port> outputs = f.ports(m, "outputs");
    Map<?, ?> ws = f.object(m, "weights", "");
    String sha = f.string(ws, "sha256", "weights.");
    long size = f.integer(ws, "size", "weights.");
    List<WeightEntry> index = new ArrayList<>();
    for (Map.Entry<?, ?> e : f.object(ws, "index", "weights.").entrySet()) {
      String name = (String) e.getKey(), at = "weights.index[\"" + name + "\"].";
      if (!(e.getValue() instanceof Map<?, ?> w)) { problems.add(at.substring(0, at.length() - 1) + ": expected an object"); continue; }
      String dt = f.string(w, "dtype", at);
      DType dtype = DType.fromText(dt);
      if (dtype == null && !dt.isEmpty()) problems.add(at + "dtype: unknown dtype \"" + dt + "\"");
      List<Long> shape = f.longs(w, "shape", at);
      index.add(new WeightEntry(name, dtype, shape, f.integer(w, "offset", at), f.integer(w, "length", at)));
    }
    index.sort((a, b) -> Long.compare(a.offset(), b.offset()));
    Object ec = m.get("entry_class");
    if (ec != null && !(ec instanceof String)) problems.add("entry_class: expected a string");
    NativeCode nativeCode = m.get("native") == null ? null : f.nativeCode(f.object(m, "native", ""));
    if (!problems.isEmpty()) throw new ArtifactException(where, problems);
    return new Manifest(format, kiln, backend, target, pipeline, graph, inputs, outputs, sha, size, index, (String) ec, nativeCode);
  }

  /** Typed field access that records a problem and returns a harmless default instead of stopping at the first. */
  private record Fields(List<String> problems) {
    Object get(Map<?, ?> m, String key, String at) {
      Object v = m.get(key);
      if (v == null) problems.add(at + key + ": missing");
      return v;
    }

    String string(Map<?, ?> m, String key, String at) {
      Object v = get(m, key, at);
      if (v == null) return "";
      if (v instanceof String s) return s;
      problems.add(at + key + ": expected a string, got " + Json.write(v).strip());
      return "";
    }

    long integer(Map<?, ?> m, String key, String at) {
      Object v = get(m, key, at);
      if (v == null) return 0;
      if (v instanceof Long l && l >= 0 && l <= Long.MAX_VALUE / 2) return l;
      problems.add(at + key + ": expected a non-negative integer, got " + Json.write(v).strip());
      return 0;
    }

    Map<?, ?> object(Map<?, ?> m, String key, String at) {
      Object v = get(m, key, at);
      if (v == null) return Map.of();
      if (v instanceof Map<?, ?> o) return o;
      problems.add(at + key + ": expected an object");
      return Map.of();
    }

    List<Long> longs(Map<?, ?> m, String key, String at) {
      Object v = get(m, key, at);
      List<Long> out = new ArrayList<>();
      if (v == null) return out;
      if (v instanceof List<?> l) {
        for (Object x : l) {
          if (x instanceof Long n && n >= 0) out.add(n);
          else { problems.add(at + key + ": expected non-negative integers, got " + Json.write(v).strip()); break; }
        }
      } else problems.add(at + key + ": expected an array of sizes");
      return out;
    }

    NativeCode nativeCode(Map<?, ?> n) {
      List<String> features = new ArrayList<>();
      Object v = get(n, "features", "native.");
      if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) l.forEach(x -> features.add((String) x));
      else if (v != null) problems.add("native.features: expected an array of strings such as \"+avx2\"");
      return new NativeCode(string(n, "library", "native."), string(n, "cpu", "native."), features,
          optionalString(n, "library_sha256"), optionalString(n, "plan"), optionalString(n, "plan_sha256"));
    }

    String optionalString(Map<?, ?> m, String key) {
      Object v = m.get(key);
      if (v == null || v instanceof String) return (String) v;
      problems.add("native." + key + ": expected a string, got " + Json.write(v).strip());
      return null;
    }

    List<Port> ports(Map<?, ?> m, String key) {
      Object v = get(m, key, "");
      List<Port> out = new ArrayList<>();
      if (v == null) return out;
      if (!(v instanceof List<?> l)) { problems.add(key + ": expected an array"); return out; }
      for (int i = 0; i < l.size(); i++) {
        String at = key + "[" + i + "].";
        if (!(l.get(i) instanceof Map<?, ?> p)) { problems.add(key + "[" + i + "]: expected an object"); continue; }
        out.add(new Port(string(p, "name", at), string(p, "type", at)));
      }
      return out;
    }
  }
}
