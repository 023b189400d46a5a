package dev.kiln.runtime.exec;

import static dev.kiln.runtime.artifact.TestArtifacts.parse;
import static dev.kiln.runtime.artifact.TestArtifacts.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.artifact.ArtifactWriter;
import dev.kiln.runtime.artifact.TestArtifacts;
import dev.kiln.runtime.interp.Interpreter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips write -> load -> run against the interpreter, the signature, input checks and concurrent runs. */
class KilnModelTest {
  private static final Path SAMPLES = Path.of("..", "samples").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void theSampleMlpRunsAsTheInterpreterDoes() throws IOException {
    Graph g = IrParser.parse(Files.readString(SAMPLES.resolve("ir/mlp.kir")), "mlp.kir");
    Map<String, Tensor> w = new HashMap<>();
    for (Node n : g.allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name"))
        w.put(n.attrStr("name"), Npy.read(SAMPLES.resolve("ir/mlp.weights/" + n.attrStr("name") + ".npy")));
    Tensor x = Npy.read(SAMPLES.resolve("ir/mlp.input.npy"));
    assertSameAsInterpreter(g, w, x);
  }

  @Test
  void theTinySampleWithInlineConstantsRoundTrips() throws IOException {
    Graph g = IrParser.parse(Files.readString(SAMPLES.resolve("src/main/resources/samples/tiny_mlp.kir")), "tiny_mlp.kir");
    assertSameAsInterpreter(g, Map.of(), random(5, 3, 4));
  }

  @Test
  void theTestMlpRoundTripsThroughStreamsToo() throws IOException {
    Path file = TestArtifacts.writeMlp(dir.resolve("m.kiln"));
    Tensor x = random(9, 2, 4);
    Tensor want = (Tensor) new Interpreter(parse(TestArtifacts.MLP), TestArtifacts.mlpWeights()).run(List.of(x)).getFirst();
    KilnModel fromStream = KilnModel.load(new ByteArrayInputStream(Files.readAllBytes(file)));
    assertArrayEquals(want.toFloatArray(), fromStream.run(x).getFirst().toFloatArray());
  }

  @Test
  void loadResourceFindsTheArtifactOnTheContextClassPath() throws Exception {
    TestArtifacts.writeMlp(Files.createDirectories(dir.resolve("models")).resolve("m.kiln"));
    ClassLoader old = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
      Thread.currentThread().setContextClassLoader(cl);
      KilnModel m = KilnModel.loadResource("/models/m.kiln");
      assertEquals("dce", m.manifest().pipeline());
      assertThrows(java.io.FileNotFoundException.class, () -> KilnModel.loadResource("models/none.kiln"));
    } finally {
      Thread.currentThread().setContextClassLoader(old);
    }
  }

  @Test
  void signatureNamesDtypesAndSymbolicDims() throws IOException {
    KilnModel m = KilnModel.load(TestArtifacts.writeMlp(dir.resolve("m.kiln")));
    TensorSpec in = m.signature().inputs().getFirst(), out = m.signature().outputs().getFirst();
    assertEquals("x", in.name());
    assertEquals(DType.F32, in.dtype());
    assertEquals(List.of("N", "4"), in.dims());
    assertEquals("probs", out.name());
    assertEquals(List.of("N", "3"), out.dims());
    assertEquals("(x: f32[N,4]) -> (probs: f32[N,3])", m.signature().toString());
    assertEquals("interp", m.manifest().backend());
    assertEquals(List.of(), m.notes());
    assertEquals(List.of("probs"), List.copyOf(m.run(Map.of("x", random(1, 1, 4))).keySet()));
  }

  @Test
  void badInputsAreRefusedByNameBeforeRunning() throws IOException {
    Graph g = parse("""
        graph @pair(%a: f32[N,4], %b: f32[N,4]) -> (f32[N,4]) {
          %s = nn.add(%a, %b) {alpha=1} : f32[N,4]
          return(%s)
        }
        """);
    Path file = dir.resolve("pair.kiln");
    ArtifactWriter.write(file, g, Map.of(), "interp", "", null, null);
    KilnModel m = KilnModel.load(file);
    Tensor a = random(1, 2, 4), b = random(2, 2, 4);
    assertEquals(1, m.run(Map.of("a", a, "b", b)).size());
    assertBad("missing input \"b\" (f32[N,4]); the model takes (a: f32[N,4], b: f32[N,4])", () -> m.run(Map.of("a", a)));
    assertBad("unknown input \"c\"; the model takes (a: f32[N,4], b: f32[N,4])", () -> m.run(Map.of("a", a, "b", b, "c", b)));
    assertBad("input \"b\": expected f32[N,4], got f64[2,4] (dtype f64, expected f32)",
        () -> m.run(Map.of("a", a, "b", Tensor.fromDoubles(new double[8], 2, 4))));
    assertBad("input \"a\": expected f32[N,4], got f32[8] (rank 1, expected 2)", () -> m.run(a.reshape(8), b));
    assertBad("input \"a\": expected f32[N,4], got f32[4,2] (dim 1 is 2, expected 4)", () -> m.run(a.reshape(4, 2), b));
    assertBad("input \"b\": expected f32[N,4], got f32[1,4] (dim 0 is 1, but N is 2 from input \"a\")", () -> m.run(a, random(3, 1, 4)));
    assertBad("the model takes 2 inputs (a: f32[N,4], b: f32[N,4]), got 1", () -> m.run(a));
    assertBad("input \"a\": null, expected f32[N,4]", () -> m.run(null, b));
  }

  @Test
  void eightThreadsGiveBitIdenticalResultsToOneThread() throws Exception {
    KilnModel m = KilnModel.load(TestArtifacts.writeMlp(dir.resolve("m.kiln")));
    List<Tensor> inputs = new ArrayList<>();
    List<int[]> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inputs.add(random(100 + i, 1 + i, 4));
      expected.add(bits(m.run(inputs.get(i)).getFirst()));
    }
    assertConcurrentRunsMatch(m, inputs, expected);
  }

  /** 8 threads x 200 runs, cycling through the inputs; every result must equal the single-threaded one bit for bit. */
  static void assertConcurrentRunsMatch(KilnModel m, List<Tensor> inputs, List<int[]> expected) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int offset = t;
        futures.add(pool.submit(() -> {
          int checked = 0;
          for (int r = 0; r < 200; r++) {
            int i = (r + offset) % inputs.size();
            assertArrayEquals(expected.get(i), bits(m.run(inputs.get(i)).getFirst()), "thread " + offset + " run " + r);
            checked++;
          }
          return checked;
        }));
      }
      for (Future<Integer> f : futures) assertEquals(200, f.get(60, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  static int[] bits(Tensor t) {
    float[] f = t.toFloatArray();
    int[] out = new int[f.length];
    for (int i = 0; i < f.length; i++) out[i] = Float.floatToRawIntBits(f[i]);
    return out;
  }

  private void assertSameAsInterpreter(Graph g, Map<String, Tensor> w, Tensor x) throws IOException {
    Tensor want = (Tensor) new Interpreter(g, w).run(List.of(x)).getFirst();
    Path file = dir.resolve(g.name() + ".kiln");
    ArtifactWriter.write(file, g, w, "interp", "", null, Map.of());
    KilnModel m = KilnModel.load(file);
    Tensor got = m.run(x).getFirst();
    assertArrayEquals(want.shape(), got.shape());
    assertArrayEquals(bits(want), bits(got), "bit-identical to the interpreter on the original graph");
  }

  private static void assertBad(String message, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(message, e.getMessage());
  }
}
