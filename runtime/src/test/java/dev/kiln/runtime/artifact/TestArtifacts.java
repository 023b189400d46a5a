package dev.kiln.runtime.artifact;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** Small models and zip surgery shared by the artifact and exec tests. */
public final class TestArtifacts {
  private TestArtifacts() {}

  /** A two-layer perceptron with a symbolic batch: weights by name, so they land in weights.bin. */
  public static final String MLP = """
      graph @mlp(%x: f32[N,4]) -> (f32[N,3]) {
        %w1 = const {name="fc1.weight"} : f32[5,4]
        %b1 = const {name="fc1.bias"} : f32[5]
        %w2 = const {name="fc2.weight"} : f32[3,5]
        %h = nn.linear(%x, %w1, %b1) : f32[N,5]
        %a = nn.relu(%h) : f32[N,5]
        %logits = nn.linear(%a, %w2) : f32[N,3]
        %probs = nn.softmax(%logits) {dim=-1} : f32[N,3]
        return(%probs)
      }
      """;

  public static Graph parse(String text) {
    Graph g = IrParser.parse(text, "test.kir");
    Verifier.verify(g);
    return g;
  }

  /** Deterministic values in [-1, 1). */
  public static Tensor random(long seed, long... shape) {
    java.util.Random r = new java.util.Random(seed);
    float[] f = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < f.length; i++) f[i] = r.nextFloat() * 2 - 1;
    return Tensor.fromFloats(f, shape);
  }

  public static Map<String, Tensor> mlpWeights() {
    Map<String, Tensor> w = new LinkedHashMap<>();
    w.put("fc1.weight", random(1, 5, 4));
    w.put("fc1.bias", random(2, 5));
    w.put("fc2.weight", random(3, 3, 5));
    return w;
  }

  /** Writes the MLP as an interp artifact. */
  public static Path writeMlp(Path file) throws IOException {
    ArtifactWriter.write(file, parse(MLP), mlpWeights(), "interp", "dce", null, Map.of());
    return file;
  }

  /** Every entry's bytes, in zip order. */
  public static Map<String, byte[]> entries(Path zip) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        try (InputStream in = z.getInputStream(e)) {
          out.put(e.getName(), in.readAllBytes());
        }
      }
    }
    return out;
  }

  /** Writes entries back; weights.bin stored unless {@code compressWeights}, the rest deflated. */
  public static void write(Path zip, Map<String, byte[]> entries, boolean compressWeights) throws IOException {
    try (OutputStream os = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(os)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry ze = new ZipEntry(e.getKey());
        byte[] b = e.getValue();
        if (e.getKey().equals("weights.bin") && !compressWeights) {
          CRC32 crc = new CRC32();
          crc.update(b);
          ze.setMethod(ZipEntry.STORED);
          ze.setSize(b.length);
          ze.setCompressedSize(b.length);
          ze.setCrc(crc.getValue());
        }
        z.putNextEntry(ze);
        z.write(b);
        z.closeEntry();
      }
    }
  }

  public static void write(Path zip, Map<String, byte[]> entries) throws IOException { write(zip, entries, false); }

  /** The manifest text of an entry map. */
  public static String manifest(Map<String, byte[]> entries) {
    return new String(entries.get("manifest.json"), java.nio.charset.StandardCharsets.UTF_8);
  }

  public static void setManifest(Map<String, byte[]> entries, String text) {
    entries.put("manifest.json", text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
