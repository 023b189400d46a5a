package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Channels-last pooling and layer_norm on the LLVM backend's fifth-round forms against the interpreter: the channel
 * loops of max_pool2d and adaptive_avg_pool2d in explicit vectors (backend/LaneLoopEmitter; lane for lane the scalar
 * loop's operations, so bit-identical to the old emission with every switch off, {@code -Dkiln.llvm.fastOps=false}),
 * channel counts that are not multiples of the vector width (masked last step), batch > 1, 1 and 2 threads;
 * layer_norm's reductions with the {@code reassoc} flag (backend/ReductionFlags) within rounding of the interpreter.
 * IR: vector max with the switch on, none with it off; {@code reassoc} likewise.
 */
@Tag("llvm")
class PoolLlvmTest {
  @ParameterizedTest
  @CsvSource({
      // n, c, h, w, oc (channels after the 1x1 conv), pool k, stride, pad, ceil, adaptive out
      "1, 8, 27, 27, 64, 3, 2, 0, true, 1",
      "2, 5, 13, 11, 19, 3, 2, 1, false, 2",
      "1, 3, 9, 9, 1000, 2, 2, 0, true, 1",
      "3, 4, 7, 8, 40, 3, 1, 1, false, 3",
  })
  void poolsMatchTheInterpreter(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean ceil, int ad) {
    FastOpsCase cs = pools(n, c, h, w, oc, k, stride, pad, ceil, ad, 7 + oc);
    FastOpsCase.Run one = cs.run("fastLanes", "true", 1), two = cs.run("fastLanes", "true", 2), old = cs.run("fastOps", "false", 1);
    // a 1x1 channels-last result comes back in its physical shape [n,1,1,c]: the same elements in the same order
    Tensor got = ad == 1 ? Tensor.fromFloats(one.out().floatData(), cs.want().shape()) : one.out();
    cs.assertClose(got, 1e-5, "1 thread");
    assertArrayEquals(one.out().floatData(), two.out().floatData(), "1 and 2 threads give the same bits");
    assertArrayEquals(old.out().floatData(), one.out().floatData(), "lane-wise the same operations as the scalar loop");
    assertTrue(one.ir().contains("@llvm.maximum.v"), "vector max in the pooling loop");
    assertFalse(old.ir().contains("@llvm.maximum.v"), "scalar loop with the switch off");
  }

  /** The portable target (AVX2, 8 lanes, 6 vectors per step): same bits as with every switch off. */
  @ParameterizedTest
  @CsvSource({"1, 8, 27, 27, 64, 3, 2, 0, true, 1", "2, 5, 13, 11, 19, 3, 2, 1, false, 2"})
  void portableTargetPoolsAreBitIdentical(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean ceil, int ad) {
    FastOpsCase cs = pools(n, c, h, w, oc, k, stride, pad, ceil, ad, 3 + oc);
    FastOpsCase.Run one = cs.run("fastLanes", "true", 2, "x86-64-v3"), old = cs.run("fastOps", "false", 1, "x86-64-v3");
    assertArrayEquals(old.out().floatData(), one.out().floatData(), "lane-wise the same operations as the scalar loop");
    assertTrue(one.ir().contains("@llvm.maximum.v8f32"), "8-lane vector max");
  }

  @ParameterizedTest
  @CsvSource({"8, 10, 128", "3, 5, 37", "1, 1, 300"})
  void layerNormMatchesTheInterpreter(int b, int l, int d) {
    Random r = new Random(b * 31 + d);
    String t = "[" + b + "," + l + "," + d + "]";
    String text = "graph @g(%x: f32" + t + ") -> (f32" + t + ") {\n  %w = const {name=\"w\"} : f32[" + d + "]\n"
        + "  %b = const {name=\"b\"} : f32[" + d + "]\n"
        + "  %0 = nn.layer_norm(%x, %w, %b) {normalized_shape=[" + d + "], eps=1.0E-5} : f32" + t + "\n  return(%0)\n}";
    Tensor x = FastOpsCase.gauss(r, 3, b, l, d);
    // an offset mean, so the two-pass variance matters
    float[] xs = x.floatData().clone();
    for (int i = 0; i < xs.length; i++) xs[i] += 5f;
    Map<String, Tensor> wts = Map.of("w", FastOpsCase.gauss(r, 1, d), "b", FastOpsCase.gauss(r, 1, d));
    FastOpsCase cs = FastOpsCase.of("layer_norm " + t, text, wts, List.of(Tensor.fromFloats(xs, b, l, d)), "");
    FastOpsCase.Run one = cs.run("fastReductions", "true", 1), two = cs.run("fastReductions", "true", 2);
    cs.assertClose(one.out(), 1e-5, "1 thread");
    assertArrayEquals(one.out().floatData(), two.out().floatData(), "1 and 2 threads give the same bits");
    cs.assertClose(cs.run("fastReductions", "false", 1).out(), 1e-5, "old emission");
    assertTrue(one.ir().contains("fadd reassoc float"), "reassociable reduction steps");
    assertFalse(cs.run("fastOps", "false", 1).ir().contains("reassoc"), "strict order with the switch off");
  }

  /** x -> 1x1 conv to oc channels (so the pools run channels-last) -> max_pool2d -> adaptive_avg_pool2d. */
  static FastOpsCase pools(int n, int c, int h, int w, int oc, int k, int stride, int pad, boolean ceil, int ad, long seed) {
    Random r = new Random(seed);
    long ph = outSize(h, k, stride, pad, ceil), pw = outSize(w, k, stride, pad, ceil);
    String y = "[" + n + "," + oc + "," + h + "," + w + "]", p = "[" + n + "," + oc + "," + ph + "," + pw + "]";
    String text = "graph @g(%x: f32[" + n + "," + c + "," + h + "," + w + "]) -> (f32[" + n + "," + oc + "," + ad + "," + ad + "]) {\n"
        + "  %w = const {name=\"w\"} : f32[" + oc + "," + c + ",1,1]\n"
        + "  %y = nn.conv2d(%x, %w) : f32" + y + "\n"
        + "  %p = nn.max_pool2d(%y) {kernel_size=[" + k + "," + k + "], stride=[" + stride + "," + stride + "], padding=[" + pad + "," + pad
        + "], ceil_mode=" + ceil + "} : f32" + p + "\n"
        + "  %a = nn.adaptive_avg_pool2d(%p) {output_size=[" + ad + "," + ad + "]} : f32[" + n + "," + oc + "," + ad + "," + ad + "]\n"
        + "  return(%a)\n}";
    return FastOpsCase.of("pools " + n + "x" + c + "x" + h + "x" + w + "->" + oc + " k" + k + "s" + stride + "p" + pad + (ceil ? "c" : "") + " ad" + ad,
        text, Map.of("w", FastOpsCase.gauss(r, 0.5, oc, c, 1, 1)), List.of(FastOpsCase.gauss(r, 1, n, c, h, w)), "nhwc,fuse");
  }

  static long outSize(int in, int k, int s, int p, boolean ceil) {
    long num = in + 2L * p - k;
    long o = (ceil ? (num + s - 1) / s : num / s) + 1;
    if (ceil && (o - 1) * s >= in + p) o--;
    return o;
  }
}
