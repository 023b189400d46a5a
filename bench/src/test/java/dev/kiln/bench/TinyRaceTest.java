package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real thing at toy size, without Python or fixtures: Kiln's interpreter (through the "interp" backend entry)
 * and an ONNX Runtime session on a hand-written ONNX model, raced on {@code relu(x W^T + b)} against a reference
 * computed here with plain loops.
 */
class TinyRaceTest {
  private static final int N = 2, K = 3, M = 4;
  private static final String KILN = """
      graph @forward(%x: f32[2,3]) -> (f32[2,4]) {
        %w = const {name="fc.weight"} : f32[4,3]
        %b = const {name="fc.bias"} : f32[4]
        %0 = nn.linear(%x, %w, %b) : f32[2,4]
        %1 = nn.relu(%0) : f32[2,4]
        return(%1)
      }
      """;

  private final float[] w = randoms(M * K, 1), b = randoms(M, 2), x = randoms(N * K, 3);

  private static float[] randoms(int n, long seed) {
    Random r = new Random(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
    return a;
  }

  private float[] reference() {
    float[] y = new float[N * M];
    for (int i = 0; i < N; i++)
      for (int j = 0; j < M; j++) {
        double s = b[j];
        for (int k = 0; k < K; k++) s += (double) x[i * K + k] * w[j * K + k];
        y[i * M + j] = (float) Math.max(0, s);
      }
    return y;
  }

  private KilnTarget kiln() throws Exception { return kiln("interp"); }

  private KilnTarget kiln(String backend) throws Exception {
    Graph g = IrParser.parse(KILN, "tiny.kir");
    Map<String, Tensor> weights = Map.of("fc.weight", Tensor.fromFloats(w, M, K), "fc.bias", Tensor.fromFloats(b, M));
    return new KilnTarget("kiln-" + backend, KilnBackends.get(backend).backend().compile(g, weights), Tensor.fromFloats(x, N, K));
  }

  /** Every registered backend but llvm, which needs the LLVM natives and is tested apart (tagged). */
  static List<String> backends() { return KilnBackends.names().stream().filter(n -> !n.equals("llvm")).toList(); }

  @ParameterizedTest
  @MethodSource("backends")
  void everyRegisteredBackendAnswersTheTinyModel(String backend) throws Exception {
    try (KilnTarget k = kiln(backend)) {
      assertTrue(OutputCheck.maxAbsDiff(k.label(), k.run(true), reference(), 1e-5) < 1e-5);
    }
  }

  @Test
  @Tag("llvm")
  void theLlvmBackendAnswersTheTinyModelOnTheBenchThreads() throws Exception {
    assertTrue(KilnBackends.get("llvm").threaded(), "the native code runs on the runtime's Threads.threads()");
    assertEquals(0, KilnBackends.get("llvm").fixedThreads());
    try (KilnTarget k = kiln("llvm")) {
      assertTrue(OutputCheck.maxAbsDiff(k.label(), k.run(true), reference(), 1e-5) < 1e-5);
    }
  }

  @Test
  void kilnAndOrtAgreeWithTheReferenceAndAreTimed() throws Exception {
    float[] ref = reference();
    int positives = 0;
    for (float v : ref) if (v > 0) positives++;
    assertTrue(positives > 0 && positives < ref.length, "the test input exercises both sides of relu");
    try (KilnTarget k = kiln(); OrtTarget o = new OrtTarget(TinyOnnx.linear(N, K, M, w, b, "Relu"), x, new long[] {N, K}, 1)) {
      Race.Result r = Race.run("tiny b2 t1", k, o, ref, 1e-5, new Race.Plan(2, 1_000_000L, 3, 3));
      assertEquals(3, r.pairs());
      assertTrue(r.maxAbsDiffA() < 1e-5 && r.maxAbsDiffB() < 1e-5, r.toString());
      assertTrue(r.firstCallMsA() > 0 && r.firstCallMsB() > 0);
      // Both sides time their fetched calls themselves (the run without the copy-out): the first call counts that.
      assertTrue(k.lastRunNanos() > 0 && o.lastRunNanos() > 0, k.lastRunNanos() + " / " + o.lastRunNanos());
    }
  }

  @Test
  void refusesOrtWhenItsModelIsNotTheSame() throws Exception {
    // The peer runs sigmoid instead of relu: same shapes, wrong numbers.
    try (KilnTarget k = kiln(); OrtTarget o = new OrtTarget(TinyOnnx.linear(N, K, M, w, b, "Sigmoid"), x, new long[] {N, K}, 2)) {
      var e = assertThrows(WrongAnswerException.class, () -> Race.run("tiny b2 t2", k, o, reference(), 1e-3, new Race.Plan(1, 1, 1, 1)));
      assertTrue(e.getMessage().startsWith("ort tiny b2 t2: max abs diff "), e.getMessage());
    }
  }

  @Test
  void unknownBackendListsTheKnownOnes() {
    var e = assertThrows(IllegalArgumentException.class, () -> KilnBackends.get("tpu"));
    assertEquals("unknown Kiln backend 'tpu'; known: " + String.join(", ", KilnBackends.names()), e.getMessage());
    assertTrue(KilnBackends.names().contains("interp"));
    assertEquals("interp", KilnBackends.get("interp").name());
  }
}
