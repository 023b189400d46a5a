package dev.kiln.tests.passes;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A random conv2d(+bias)+relu graph, its weights and input, and the interpreter's answer (Winograd tests). */
public record WinogradCase(Graph graph, Map<String, Tensor> weights, Tensor x, Tensor want) {
  /** Max abs difference allowed, relative to the largest output magnitude. */
  public static final double RTOL = 1e-4;

  public static WinogradCase random(int n, int c, int h, int w, int oc, int pad, long seed) {
    int oh = h + 2 * pad - 2, ow = w + 2 * pad - 2;
    Graph g = IrParser.parse("""
        graph @g(%x: f32[X]) -> (f32[Y]) {
          %w = const {name="w"} : f32[W]
          %b = const {name="b"} : f32[B]
          %y = nn.conv2d(%x, %w, %b) {stride=[1,1], padding=[P,P]} : f32[Y]
          %r = nn.relu(%y) : f32[Y]
          return(%r)
        }""".replace("[X]", "[" + n + "," + c + "," + h + "," + w + "]").replace("[Y]", "[" + n + "," + oc + "," + oh + "," + ow + "]")
        .replace("[W]", "[" + oc + "," + c + ",3,3]").replace("[B]", "[" + oc + "]").replace("P,P", pad + "," + pad), "conv");
    Random r = new Random(seed);
    Map<String, Tensor> weights = Map.of("w", Tensor.fromFloats(gauss(r, oc * c * 9, 0.2), oc, c, 3, 3),
        "b", Tensor.fromFloats(gauss(r, oc, 1), oc));
    Tensor x = Tensor.fromFloats(gauss(r, n * c * h * w, 1), n, c, h, w);
    Tensor want = (Tensor) new Interpreter(g, weights).run(List.of(x)).get(0);
    return new WinogradCase(g, weights, x, want);
  }

public void assertClose(Tensor got, String what) {
    double scale = 1e-6;
    int positive = 0;
    for (double d : want.toDoubleArray()) {
      scale = Math.max(scale, Math.abs(d));
      if (d > 0) positive++;
    }
    assertTrue(positive > 0 && positive < want.numel(), "the case exercises both sides of relu");
    assertTrue(got.allClose(want, RTOL * scale, RTOL), what + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
  }

  private static float[] gauss(Random r, int size, double std) {
    float[] a = new float[size];
    for (int i = 0; i < size; i++) a[i] = (float) (r.nextGaussian() * std);
    return a;
  }
}
