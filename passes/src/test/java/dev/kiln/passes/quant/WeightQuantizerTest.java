package dev.kiln.passes.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import org.junit.jupiter.api.Test;

/** Symmetric qint8 weights as PyTorch's MinMaxObserver / PerChannelMinMaxObserver choose them, checked by hand. */
class WeightQuantizerTest {
  private static final Tensor W = Tensor.fromFloats(new float[] {1f, -2f, 0.5f, 0.25f}, 2, 2);

  @Test
  void perChannelScaleIsTheRowMaxOver127point5() {
    WeightQuantizer.Quantized q = WeightQuantizer.quantize(W, true);
    assertEquals(DType.QI8, q.tensor().dtype());
    assertEquals(0, q.type().quant().axis());
    assertEquals((double) (2f / 127.5f), q.type().quant().scales().get(0));
    assertEquals((double) (0.5f / 127.5f), q.type().quant().scales().get(1));
    // x * (1f / scale) in float: 1 -> 63.75 -> 64; -2 -> -127.49999 -> -127 (the float inverse is just under 63.75);
    // 0.5 -> 127.5 -> 128 -> clamped to 127; 0.25 -> 64. torch.quantize_per_channel gives [[64,-127],[127,64]].
    assertArrayEquals(new long[] {64, -127, 127, 64}, q.tensor().toLongArray());
  }

  @Test
  void perTensorUsesTheWholeTensorsRange() {
    WeightQuantizer.Quantized q = WeightQuantizer.quantize(W, false);
    assertEquals(-1, q.type().quant().axis());
    assertEquals((double) (2f / 127.5f), q.type().quant().scales().get(0));
    // 0.5 / (2/127.5) = 31.875 -> 32; 0.25 -> 15.9375 -> 16 (torch.quantize_per_tensor: [[64,-127],[32,16]])
    assertArrayEquals(new long[] {64, -127, 32, 16}, q.tensor().toLongArray());
  }

  @Test
  void allZeroRowGetsEpsilonScaleAndZeros() {
    WeightQuantizer.Quantized q = WeightQuantizer.quantize(Tensor.fromFloats(new float[] {0, 0, 3, -3}, 2, 2), true);
    assertEquals((double) Math.ulp(1f), q.type().quant().scales().get(0));
    // +-3 * 42.5 = +-127.5: 128 clamps to 127, -128 fits (PyTorch: [[0,0],[127,-128]])
    assertArrayEquals(new long[] {0, 0, 127, -128}, q.tensor().toLongArray());
    assertTrue(q.type().quant().zeroPoints().stream().allMatch(z -> z == 0));
  }
}
