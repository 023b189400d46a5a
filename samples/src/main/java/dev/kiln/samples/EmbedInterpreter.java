package dev.kiln.samples;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Sample: load a Graph IR program shipped as a resource and serve predictions from several threads with one shared
 * interpreter. Copy this when a service needs Kiln's reference interpreter (compiled artifacts come later).
 */
public final class EmbedInterpreter {
  private final Interpreter model;

  /** Parses and verifies the program; weights are inline constants here, so the weight table is empty. */
  public EmbedInterpreter(String resource) throws IOException {
    String text;
    try (InputStream in = EmbedInterpreter.class.getResourceAsStream(resource)) {
      if (in == null) throw new IOException("no resource " + resource);
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Graph g = IrParser.parse(text, resource);
    Verifier.verify(g);
    model = new Interpreter(g, Map.of());
  }

  /** One prediction: a batch of rows with 4 features each gives class probabilities, 3 per row. */
  public float[] predict(float[] rows) {
    Tensor x = Tensor.fromFloats(rows, rows.length / 4, 4);
    return ((Tensor) model.run(List.of(x)).get(0)).toFloatArray();
  }

  /** Runs {@code requests} predictions on {@code threads} threads at once; the interpreter is shared. */
  public List<float[]> predictConcurrently(List<float[]> requests, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<float[]>> futures = new ArrayList<>();
      for (float[] r : requests) futures.add(pool.submit(() -> predict(r)));
      List<float[]> out = new ArrayList<>();
      for (Future<float[]> f : futures) out.add(f.get());
      return out;
    } finally {
      pool.shutdown();
    }
  }

  public static void main(String[] args) throws Exception {
    EmbedInterpreter m = new EmbedInterpreter("/samples/tiny_mlp.kir");
    float[] p = m.predict(new float[] {1, 2, 3, 4});
    System.out.printf("class probabilities: %.4f %.4f %.4f%n", p[0], p[1], p[2]);
  }
}
