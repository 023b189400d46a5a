package dev.kiln.runtime.interp;

import static dev.kiln.runtime.interp.OpRunner.fl;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Verifier;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quantization kernels on values worked out by hand; PyTorch parity is checked by the op fixtures in tests/. */
class QuantKernelsTest {
  private static List<Object> run(String text, Map<String, Tensor> weights, Object... inputs) {
    Graph g = IrParser.parse(text, "quant.kir");
    Verifier.verify(g);
    return new Interpreter(g, weights).run(List.of(inputs));
  }

  @Test
  void quantizeRoundsHalfToEvenAndSaturates() {
    // x / 0.5 = [0.5, 1.5, -0.5, 2.5, 200, -200]; rint gives [0, 2, -0, 2, 200, -200]; + 3 then clamp to [-128,127].
    // NaN and infinities become INT64_MIN on x86 before the clamp, so PyTorch gives qmin for them.
    String text = """
        graph @q(%x: f32[9]) -> (i8[9], f32[9]) {
          %q = q.quantize_per_tensor(%x) {scale=0.5, zero_point=3, dtype=qi8} : qi8[9]{q=0.5:3}
          %i = q.int_repr(%q) : i8[9]
          %d = q.dequantize(%q) : f32[9]
          return(%i, %d)
        }
        """;
    float[] x = {0.25f, 0.75f, -0.25f, 1.25f, 100f, -100f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    List<Object> out = run(text, Map.of(), Tensor.fromFloats(x, 9));
    Tensor i = (Tensor) out.get(0);
    assertEquals(DType.I8, i.dtype());
    assertArrayEquals(new long[] {3, 5, 3, 5, 127, -128, -128, -128, -128}, i.toLongArray());
    assertArrayEquals(fl(0, 1, 0, 1, 62, -65.5, -65.5, -65.5, -65.5), ((Tensor) out.get(1)).toFloatArray());
  }

  @Test
  void perChannelUsesEachChannelsScaleAndZeroPoint() {
    // channel 0: scale 0.1, zp 0 -> [0.3, -0.3] / 0.1 = [3, -3] (clamped at 0 for qu8); channel 1: scale 1, zp 10
    String text = """
        graph @q(%x: f32[2,2]) -> (u8[2,2], f32[2,2]) {
          %q = q.quantize_per_channel(%x) {scales=[0.1,1.0], zero_points=[0,10], axis=0, dtype=qu8} : qu8[2,2]{q(axis=0)=[0.1:0,1.0:10]}
          %i = q.int_repr(%q) : u8[2,2]
          %d = q.dequantize(%q) : f32[2,2]
          return(%i, %d)
        }
        """;
    List<Object> out = run(text, Map.of(), Tensor.fromFloats(fl(0.3, -0.3, 2.5, -20), 2, 2));
    assertArrayEquals(new long[] {3, 0, 12, 0}, ((Tensor) out.get(0)).toLongArray());
    // per channel dequantizes in double: (3 - 0) * 0.1 rounds to 0.3f
    assertArrayEquals(fl(0.3, 0, 2, -10), ((Tensor) out.get(1)).toFloatArray());
  }

  @Test
  void requantizeGoesThroughTheRealValue() {
    // q = 5 at scale 0.5, zp 1 is 2.0; at scale 0.25, zp 128 (qu8) that is 128 + 8 = 136
    String text = """
        graph @q(%x: f32[1]) -> (u8[1]) {
          %q = q.quantize_per_tensor(%x) {scale=0.5, zero_point=1, dtype=qi8} : qi8[1]{q=0.5:1}
          %r = q.requantize(%q) {scale=0.25, zero_point=128, dtype=qu8} : qu8[1]{q=0.25:128}
          %i = q.int_repr(%r) : u8[1]
          return(%i)
        }
        """;
    assertArrayEquals(new long[] {136}, ((Tensor) run(text, Map.of(), Tensor.fromFloats(fl(2.0), 1)).get(0)).toLongArray());
  }

  @Test
  void activationParametersFollowChooseQuantizationParams() {
    // [-1, 3]: scale 4/255; zero point 63.75 from either end, rounded to 64
    double[] p = QuantKernels.chooseParams(-1f, 3f, 0, 255);
    assertEquals(4.0 / 255, p[0], 0);
    assertEquals(64, p[1]);
    // the range always holds 0: [2, 5] becomes [0, 5] with zero point 0
    assertEquals(0, QuantKernels.chooseParams(2f, 5f, 0, 255)[1]);
    // an all-zero input takes scale 0.1 (PyTorch's fallback), tiny ranges the 6.1e-5 floor
    assertEquals(0.1, QuantKernels.chooseParams(0f, 0f, 0, 255)[0], 0);
    assertEquals(6.1e-5f, QuantKernels.chooseParams(0f, 1e-6f, 0, 255)[0], 0);
  }

  private static final String LINEAR = """
      graph @fc(%x: f32[N,3], %b: f32[2]) -> (f32[N,2]) {
        %w = const {name="w"} : qi8[2,3]{q=0.5:0}
        %y = q.linear_dynamic(%x, %w, %b) : f32[N,2]
        return(%y)
      }
      """;

  @Test
  void linearDynamicIsExactWhenTheInputIsOnItsGrid() {
    // x in [0, 255] integers: scale 1, zero point 0, so xq = x and y = 0.5 * (x . w) + b exactly
    Tensor w = Tensor.ofLongs(DType.QI8, new long[] {1, -2, 3, 127, -128, 0}, 2, 3);
    Tensor x = Tensor.fromFloats(fl(0, 255, 10, 4, 5, 6), 2, 3);
    Tensor y = (Tensor) run(LINEAR, Map.of("w", w), x, Tensor.fromFloats(fl(0.25, -1), 2)).get(0);
    float[] want = {0.5f * (0 - 510 + 30) + 0.25f, 0.5f * (0 - 32640 + 0) - 1, 0.5f * (4 - 10 + 18) + 0.25f, 0.5f * (508 - 640) - 1};
    assertArrayEquals(want, y.toFloatArray());
  }

  @Test
  void linearDynamicStaysWithinAQuantizationStepOfFloat() {
    Random r = new Random(7);
    int n = 5, k = 3;
    float[] xv = new float[n * k];
    for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
    long[] wv = {10, -20, 30, -40, 50, -60};
    Tensor y = (Tensor) run(LINEAR, Map.of("w", Tensor.ofLongs(DType.QI8, wv, 2, 3)), Tensor.fromFloats(xv, n, k),
        Tensor.fromFloats(fl(0, 0), 2)).get(0);
    float min = 0, max = 0;
    for (float v : xv) { min = Math.min(min, v); max = Math.max(max, v); }
    double step = (max - min) / 255.0;
    for (int i = 0; i < n; i++)
      for (int o = 0; o < 2; o++) {
        double exact = 0, bound = 0;
        for (int j = 0; j < k; j++) {
          exact += xv[i * k + j] * 0.5 * wv[o * k + j];
          bound += step / 2 * 0.5 * Math.abs(wv[o * k + j]);
        }
        double got = y.toFloatArray()[i * 2 + o];
        assertTrue(Math.abs(got - exact) <= bound + 1e-5, "y[" + i + "," + o + "] = " + got + ", float " + exact + ", bound " + bound);
      }
  }

  @Test
  void aWeightOfTheWrongDtypeNamesTheNode() {
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> run(LINEAR,
        Map.of("w", Tensor.ofLongs(DType.I8, new long[6], 2, 3)), Tensor.fromFloats(new float[3], 1, 3), Tensor.fromFloats(new float[2], 2)));
    assertTrue(e.getMessage().contains("const"), e.getMessage());
  }
}
