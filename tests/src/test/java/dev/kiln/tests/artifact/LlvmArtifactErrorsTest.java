package dev.kiln.tests.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.aot.AotModel;
import dev.kiln.codegen.llvm.aot.AotModelCompiler;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactException;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.NativeFiles;
import dev.kiln.runtime.exec.KilnModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged llvm artifact is refused with an {@link ArtifactException} naming the entry and what was expected, before
 * any of its native code runs: a changed or missing library, a missing or malformed plan, a plan calling a function
 * the library does not export, and a CPU feature the host lacks.
 */
@Tag("llvm")
class LlvmArtifactErrorsTest {
  static final String LIB = "native/libkiln_model.so", PLAN = "native/plan.json";

  @TempDir Path dir;
  Path good, bad;
  Map<String, byte[]> entries;

  @BeforeEach
  void compileOne() throws Exception {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[2,8], %y: f32[8,3]) -> (f32[2,3]) {
          %0 = nn.matmul(%x, %y) : f32[2,3]
          %1 = nn.relu(%0) : f32[2,3]
          return(%1)
        }""", "g");
    AotModel aot = AotModelCompiler.compile(g, Map.of(), new LlvmOptions("x86-64-v3", false));
    good = dir.resolve("good.kiln");
    bad = dir.resolve("bad.kiln");
    ArtifactWriter.writeNative(good, g, Map.of(), "", new NativeFiles(aot.library(), aot.planJson(), aot.cpu(), aot.features()));
    entries = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(good.toFile())) {
      for (ZipEntry e : java.util.Collections.list(z.entries()))
        try (InputStream in = z.getInputStream(e)) {
          entries.put(e.getName(), in.readAllBytes());
        }
    }
    KilnModel ok = KilnModel.load(good);
    Tensor x = Tensor.fromFloats(new float[16], 2, 8), y = Tensor.fromFloats(new float[24], 8, 3);
    assertEquals(6, ok.run(x, y).getFirst().numel(), "the unharmed artifact runs");
  }

  @Test
  void aChangedLibraryIsNamedByItsHash() throws IOException {
    byte[] lib = entries.get(LIB).clone();
    lib[lib.length / 2] ^= 1;
    entries.put(LIB, lib);
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(bad + "!" + LIB + ": SHA-256 "), e.getMessage());
    assertTrue(e.getMessage().endsWith("(damaged or replaced)"), e.getMessage());
  }

  @Test
  void missingNativeEntriesAreNamed() throws IOException {
    entries.remove(LIB);
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(bad + "!manifest.json: "), e.getMessage());
    assertTrue(e.problems().contains("native.library: the artifact has no entry " + LIB), e.getMessage());
    compileOneAgain();
    entries.remove(PLAN);
    e = fail();
    assertTrue(e.problems().contains("native.plan: the artifact has no entry " + PLAN), e.getMessage());
  }

  @Test
  void aMalformedPlanIsNamedWithItsPath() throws IOException {
    replacePlan(new String(entries.get(PLAN), StandardCharsets.UTF_8).replaceFirst("\"native\": \"kiln_run_seg\\d+\"", "\"natve\": 1"));
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(bad + "!" + PLAN + ": run[0]: expected a step with \"native\", \"jvm\" or \"reference\""), e.getMessage());
  }

  @Test
  void aPlanCallingAFunctionTheLibraryLacksIsRefused() throws IOException {
    replacePlan(new String(entries.get(PLAN), StandardCharsets.UTF_8).replaceFirst("\"native\": \"kiln_run_seg\\d+\"", "\"native\": \"kiln_run_seg99\""));
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(bad + "!" + LIB + ": the native code exports no function kiln_run_seg99"), e.getMessage());
  }

  @Test
  void aLibraryThatIsNotOneIsRefused() throws IOException {
    byte[] junk = "not an ELF file".getBytes(StandardCharsets.UTF_8);
    String manifest = manifest().replace(sha256(entries.get(LIB)), sha256(junk));
    entries.put(LIB, junk);
    entries.put("manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
    ArtifactException e = fail();
    assertTrue(e.getMessage().startsWith(bad + "!" + LIB + ": not a loadable shared library"), e.getMessage());
  }

  @Test
  void aCpuFeatureTheHostLacksIsRefusedBeforeLoading() throws IOException {
    entries.put("manifest.json", manifest().replace("\"+avx2\"", "\"+avx2\", \"+kiln_no_such_feature\"").getBytes(StandardCharsets.UTF_8));
    ArtifactException e = fail();
    assertTrue(e.problems().contains("native.features: compiled for CPU x86-64-v3 needing kiln_no_such_feature, which this machine's"
        + " CPU lacks (recompile with a portable target such as --target x86-64-v3)"), e.getMessage());
  }

  // ---- helpers

  private void compileOneAgain() throws IOException {
    try (ZipFile z = new ZipFile(good.toFile())) {
      entries.clear();
      for (ZipEntry e : java.util.Collections.list(z.entries()))
        try (InputStream in = z.getInputStream(e)) {
          entries.put(e.getName(), in.readAllBytes());
        }
    }
  }

  private String manifest() { return new String(entries.get("manifest.json"), StandardCharsets.UTF_8); }

  /** Puts a new plan in, with its hash updated so that the plan itself is what gets checked. */
  private void replacePlan(String plan) {
    byte[] b = plan.getBytes(StandardCharsets.UTF_8);
    entries.put("manifest.json", manifest().replace(sha256(entries.get(PLAN)), sha256(b)).getBytes(StandardCharsets.UTF_8));
    entries.put(PLAN, b);
  }

  private ArtifactException fail() throws IOException {
    try (OutputStream os = Files.newOutputStream(bad); ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry z = new ZipEntry(e.getKey());
        if (e.getKey().equals("weights.bin")) {
          CRC32 crc = new CRC32();
          crc.update(e.getValue());
          z.setMethod(ZipEntry.STORED);
          z.setSize(e.getValue().length);
          z.setCompressedSize(e.getValue().length);
          z.setCrc(crc.getValue());
        }
        zip.putNextEntry(z);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    return assertThrows(ArtifactException.class, () -> KilnModel.load(bad));
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
