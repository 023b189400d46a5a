package dev.kiln.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbedInterpreterTest {
  @Test
  void predictsLikeAHandComputedForwardPass() throws Exception {
    EmbedInterpreter m = new EmbedInterpreter("/samples/tiny_mlp.kir");
    float[] x = {1, 2, 3, 4};
    float[] w1 = {0.5f, -0.25f, 0.125f, 1.0f, -0.5f, 0.75f, 0.25f, -1.0f, 1.0f, 0.5f, -0.75f, 0.25f, 0.0f, 0.25f, 0.5f, -0.5f,
        0.75f, -0.125f, 0.375f, 0.5f, -0.25f, 1.0f, 0.5f, 0.25f};
    float[] b1 = {0.1f, -0.1f, 0.2f, 0.0f, -0.2f, 0.3f};
    float[] w2 = {1.0f, 0.0f, -1.0f, 0.5f, 0.5f, 0.25f, -0.5f, 1.0f, 0.25f, 0.0f, 0.75f, -0.25f, 0.5f, 0.5f, 0.5f, -1.0f,
        0.25f, 0.125f};
    double[] h = new double[6];
    for (int o = 0; o < 6; o++) {
      double s = b1[o];
      for (int i = 0; i < 4; i++) s += w1[o * 4 + i] * x[i];
      h[o] = Math.max(s, 0);
    }
    double[] z = new double[3];
    double max = Double.NEGATIVE_INFINITY, sum = 0;
    for (int o = 0; o < 3; o++) {
      for (int i = 0; i < 6; i++) z[o] += w2[o * 6 + i] * h[i];
      max = Math.max(max, z[o]);
    }
    for (int o = 0; o < 3; o++) sum += Math.exp(z[o] - max);
    float[] got = m.predict(x);
    for (int o = 0; o < 3; o++) assertEquals(Math.exp(z[o] - max) / sum, got[o], 1e-6);
  }

  @Test
  void concurrentCallsGiveTheSameAnswersAsSequentialOnes() throws Exception {
    EmbedInterpreter m = new EmbedInterpreter("/samples/tiny_mlp.kir");
    List<float[]> requests = new ArrayList<>();
    for (int r = 0; r < 64; r++) requests.add(new float[] {r, -r * 0.5f, r % 3, 1, 2, r % 5, -1, 0.5f});
    List<float[]> parallel = m.predictConcurrently(requests, 4);
    for (int r = 0; r < requests.size(); r++) assertArrayEquals(m.predict(requests.get(r)), parallel.get(r));
  }
}
