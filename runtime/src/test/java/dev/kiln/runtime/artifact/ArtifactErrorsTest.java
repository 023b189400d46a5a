package dev.kiln.runtime.artifact;

import static dev.kiln.runtime.artifact.TestArtifacts.entries;
import static dev.kiln.runtime.artifact.TestArtifacts.manifest;
import static dev.kiln.runtime.artifact.TestArtifacts.setManifest;
import static dev.kiln.runtime.artifact.TestArtifacts.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.nativelib.HostFeatures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way an artifact can fail to load says where and what does not fit. */
@SuppressWarnings("unchecked")
class ArtifactErrorsTest {
  @TempDir Path dir;
  Path good;
  Map<String, byte[]> entries;

  @BeforeEach
  void writeGoodArtifact() throws IOException {
    good = TestArtifacts.writeMlp(dir.resolve("good.kiln"));
    entries = entries(good);
  }

  @Test
  void theGoodArtifactLoadsFromFileAndStreamAlike() throws IOException {
    Artifact a = ArtifactReader.read(good);
    Artifact b = ArtifactReader.read(new ByteArrayInputStream(Files.readAllBytes(good)), "mem");
    assertEquals(a.manifest(), b.manifest());
    for (String name : a.weights().keySet())
      assertArrayEquals(a.weights().get(name).toFloatArray(), b.weights().get(name).toFloatArray(), name);
    assertEquals(List.of("fc1.bias", "fc1.weight", "fc2.weight"), a.manifest().weights().stream().map(Manifest.WeightEntry::name).toList());
    for (Manifest.WeightEntry w : a.manifest().weights()) assertEquals(0, w.offset() % 64, w.name() + " is 64-byte aligned");
    try (ZipFile z = new ZipFile(good.toFile())) {
      assertEquals(ZipEntry.STORED, z.getEntry("weights.bin").getMethod());
      assertEquals(List.of("manifest.json", "graph.kir", "weights.bin"), z.stream().map(ZipEntry::getName).toList());
    }
  }

  @Test
  void writingTwiceGivesTheSameBytes() throws IOException {
    Path again = TestArtifacts.writeMlp(dir.resolve("again.kiln"));
    assertArrayEquals(Files.readAllBytes(good), Files.readAllBytes(again));
  }

  @Test
  void manifestProblemsAreAllListedAtOnce() throws IOException {
    ArtifactException e = failWithManifest(m -> {
      m.put("format", 2L);
      m.put("kiln", "0.2.0");
      m.put("backend", "tpu");
      ((Map<String, Object>) m.get("target")).put("java", 99L);
    });
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + "!manifest.json: 4 problems:"), e.getMessage());
    assertEquals(List.of(
        "format: artifact format 2, this runtime reads format 1",
        "kiln: written by Kiln 0.2.0, this runtime is Kiln " + KilnVersion.CURRENT + " (the major and minor version must match)",
        "backend: \"tpu\" is not one this runtime runs (expected one of [interp, jvm, llvm])",
        "target.java: compiled for Java 99, this JVM is Java " + Runtime.version().feature()), e.problems());
  }

  @Test
  void aNewerPatchReleaseIsRefusedAndMalformedVersionsNamed() throws IOException {
    assertProblem(m -> m.put("kiln", "0.1.99"), "kiln: written by Kiln 0.1.99, newer than this runtime");
    assertProblem(m -> m.put("kiln", "one"), "kiln: Kiln version \"one\" is not of the form MAJOR.MINOR.PATCH");
  }

  @Test
  void missingAndMistypedFieldsAreNamed() throws IOException {
    assertProblem(m -> m.remove("pipeline"), "pipeline: missing");
    assertProblem(m -> m.put("format", "1"), "format: expected a non-negative integer, got \"1\"");
    assertProblem(m -> index(m, "fc1.bias").put("dtype", "f33"), "weights.index[\"fc1.bias\"].dtype: unknown dtype \"f33\"");
    assertProblem(m -> m.put("entry_class", "gen.Model"), "entry_class: present, but the interp backend runs no generated code");
    assertProblem(m -> ((Map<String, Object>) ((List<Object>) m.get("inputs")).get(0)).put("type", "f32[N,"),
        "inputs[0].type:1:7: ");
  }

  @Test
  void weightIndexEntriesMustFitTheBlob() throws IOException {
    long size = ArtifactReader.read(good).manifest().weightsSize();
    assertProblem(m -> index(m, "fc2.weight").put("offset", 4096L), "weights.index[\"fc2.weight\"]: bytes 4096..4156 lie outside weights.bin (" + size + " bytes)");
    assertProblem(m -> index(m, "fc1.weight").put("offset", 65L), "weights.index[\"fc1.weight\"].offset: 65 is not a multiple of 64");
    assertProblem(m -> index(m, "fc1.weight").put("length", 40L), "weights.index[\"fc1.weight\"].length: 40 bytes, but f32[5,4] needs 80");
    assertProblem(m -> index(m, "fc1.weight").put("offset", 0L), "weights.index[\"fc1.weight\"]: bytes from 0 overlap \"fc1.bias\" (which ends at 20)");
    assertProblem(m -> ((Map<String, Object>) m.get("weights")).put("size", size + 64), "weights.size: manifest says " + (size + 64) + " bytes, weights.bin holds " + size);
    assertProblem(m -> ((Map<String, Object>) m.get("weights")).put("sha256", "abc"), "weights.sha256: \"abc\" is not 64 lower-case hex digits");
  }

  @Test
  void changedWeightsFailTheHash() throws IOException {
    entries.get("weights.bin")[70] ^= 1;
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + "!weights.bin: SHA-256 is "), e.getMessage());
    assertTrue(e.getMessage().endsWith("(the weights were changed or damaged)"), e.getMessage());
  }

  @Test
  void aShortWeightStreamSaysWhereItEnds() throws IOException {
    Manifest m = ArtifactReader.read(good).manifest();
    byte[] blob = entries.get("weights.bin");
    byte[] cut = java.util.Arrays.copyOf(blob, 100);
    ArtifactException e = assertThrows(ArtifactException.class, () -> WeightBlob.read(new ByteArrayInputStream(cut), m, "w.bin"));
    assertEquals("w.bin: truncated: ends at byte 100 inside weight \"fc1.weight\", the manifest says " + blob.length + " bytes", e.getMessage());
    byte[] longer = java.util.Arrays.copyOf(blob, blob.length + 1);
    e = assertThrows(ArtifactException.class, () -> WeightBlob.read(new ByteArrayInputStream(longer), m, "w.bin"));
    assertEquals("w.bin: longer than the " + blob.length + " bytes the manifest says", e.getMessage());
  }

  @Test
  void zipEntriesAreCheckedBeforeAnythingIsRead() throws IOException {
    entries.put("../evil.sh", new byte[] {1});
    entries.put("classes/gen/Model.class", new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE});
    ArtifactException e = fail();
    assertTrue(e.problems().contains("entry \"../evil.sh\" is not one an artifact holds (manifest.json, graph.kir, weights.bin,"
        + " classes/<name>.class, native/<name>.so, native/plan.json)"),
        e.getMessage());
    entries.remove("../evil.sh");
    e = fail();
    assertEquals(List.of("classes/gen/Model.class: the interp backend runs no generated code, so an artifact for it holds no classes"), e.problems());
  }

  @Test
  void missingEntriesCompressedWeightsAndNonZipsAreNamed() throws IOException {
    Map<String, byte[]> copy = new LinkedHashMap<>(entries);
    entries.remove("graph.kir");
    assertEquals(List.of("entry graph.kir is missing"), fail().problems());
    entries = copy;
    write(dir.resolve("bad.kiln"), entries, true);
    ArtifactException e = assertThrows(ArtifactException.class, () -> ArtifactReader.read(dir.resolve("bad.kiln")));
    assertEquals(List.of("weights.bin: compressed; it must be stored uncompressed"), e.problems());
    Files.writeString(dir.resolve("bad.kiln"), "not a zip");
    e = assertThrows(ArtifactException.class, () -> ArtifactReader.read(dir.resolve("bad.kiln")));
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + ": not a zip archive"), e.getMessage());
    e = assertThrows(ArtifactException.class, () -> ArtifactReader.read(new ByteArrayInputStream("nope".getBytes()), "s"));
    assertEquals("s: not a zip archive, or an empty one", e.getMessage());
  }

  @Test
  void theGraphMustBeTheOneTheManifestDescribes() throws IOException {
    assertGraphProblem(m -> m.put("graph", "other"), "graph @mlp, the manifest says @other");
    assertGraphProblem(m -> ((Map<String, Object>) ((List<Object>) m.get("inputs")).get(0)).put("type", "f32[N,5]"),
        "parameters [Port[name=x, type=f32[N,4]]] differ from the manifest's inputs [Port[name=x, type=f32[N,5]]]");
    String g = new String(entries.get("graph.kir"), StandardCharsets.UTF_8);
    entries.put("graph.kir", g.replace("fc2.weight", "fc3.weight").getBytes(StandardCharsets.UTF_8));
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + "!graph.kir: "), e.getMessage());
    assertTrue(e.getMessage().contains("weight \"fc3.weight\" is not in the manifest's weight index"), e.getMessage());
    entries.put("graph.kir", "graph @mlp(".getBytes(StandardCharsets.UTF_8));
    e = fail();
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + "!graph.kir: " + dir.resolve("bad.kiln") + "!graph.kir:1:"), e.getMessage());
  }

  @Test
  void nativeCodeForAFeatureTheHostLacksIsRefusedBeforeLoading() throws IOException {
    ArtifactException e = failWithManifest(m -> {
      m.put("backend", "llvm");
      m.put("native", new LinkedHashMap<>(Map.of("library", "native/libkiln_model.so", "cpu", "future9",
          "features", List.of("+kiln_no_such_feature", "-avx512f"))));
    });
    assertTrue(e.problems().contains("native.features: compiled for CPU future9 needing kiln_no_such_feature, which this"
        + " machine's CPU lacks (recompile with a portable target such as --target x86-64-v3)"), e.getMessage());
    assertTrue(e.problems().contains("native.library_sha256: expected 64 lower-case hex digits, got nothing"), e.getMessage());
  }

  @Test
  void theNativeDescriptionIsCheckedAgainstAGivenCpu() throws IOException {
    Manifest good = ArtifactReader.read(this.good).manifest();
    Manifest llvm = new Manifest(good.format(), good.kilnVersion(), "llvm", good.target(), good.pipeline(), good.graphName(),
        good.inputs(), good.outputs(), good.weightsSha256(), good.weightsSize(), good.weights(), null,
        new Manifest.NativeCode("native/libkiln_model.so", "znver4", List.of("+avx2", "+fma", "+avx512f", "+avx512vnni"),
            "0".repeat(64), Manifest.NativeCode.PLAN_ENTRY, "1".repeat(64)));
    assertEquals(llvm, Manifest.fromJson(Json.parse(Json.write(llvm.toJson()), "m"), "m"), "native survives a JSON round trip");
    HostFeatures avx2 = HostFeatures.parse("flags : sse2 avx avx2 fma\n");
    List<String> problems = ManifestCheck.check(llvm, good.weightsSize(), Target.host(), avx2).problems();
    assertTrue(problems.contains("native.features: compiled for CPU znver4 needing avx512f, avx512vnni, which this"
        + " machine's CPU lacks (recompile with a portable target such as --target x86-64-v3)"), problems.toString());
    HostFeatures zen4 = HostFeatures.parse("flags : sse2 avx avx2 fma avx512f avx512_vnni\n");
    assertTrue(ManifestCheck.check(llvm, good.weightsSize(), Target.host(), zen4).problems().stream().noneMatch(p -> p.startsWith("native")));
    Manifest misplaced = new Manifest(good.format(), good.kilnVersion(), "interp", good.target(), good.pipeline(), good.graphName(),
        good.inputs(), good.outputs(), good.weightsSha256(), good.weightsSize(), good.weights(), null,
        new Manifest.NativeCode("../x.so", "znver4", List.of()));
    assertEquals(List.of("native: present, but the interp backend runs no native code",
        "native.library: \"../x.so\" is not an entry such as native/libkiln_model.so"),
        ManifestCheck.check(misplaced, good.weightsSize(), Target.host(), zen4).problems());
  }

  // ---- helpers

  private void assertProblem(Consumer<Map<String, Object>> edit, String problemPrefix) throws IOException {
    ArtifactException e = failWithManifest(edit);
    assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(problemPrefix)), "want " + problemPrefix + "\ngot " + e.getMessage());
  }

  private void assertGraphProblem(Consumer<Map<String, Object>> edit, String problem) throws IOException {
    ArtifactException e = failWithManifest(edit);
    assertTrue(e.getMessage().startsWith(dir.resolve("bad.kiln") + "!graph.kir: "), e.getMessage());
    assertTrue(e.problems().contains(problem), "want " + problem + "\ngot " + e.getMessage());
  }

  private ArtifactException failWithManifest(Consumer<Map<String, Object>> edit) throws IOException {
    Map<String, Object> m = mutable(Json.parse(manifest(entries), "m"));
    edit.accept(m);
    Map<String, byte[]> saved = new LinkedHashMap<>(entries);
    setManifest(entries, Json.write(m));
    try {
      return fail();
    } finally {
      entries = saved;
    }
  }

  private ArtifactException fail() throws IOException {
    Path bad = dir.resolve("bad.kiln");
    write(bad, entries);
    return assertThrows(ArtifactException.class, () -> ArtifactReader.read(bad));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> index(Map<String, Object> m, String name) {
    return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) m.get("weights")).get("index")).get(name);
  }

  @SuppressWarnings("unchecked")
  private static <T> T mutable(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put((String) k, mutable(x)));
      return (T) out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(mutable(x)));
      return (T) out;
    }
    return (T) v;
  }
}
