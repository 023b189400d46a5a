package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.runtime.interp.OpRunner.f;
import static dev.kiln.runtime.interp.OpRunner.fl;
import static dev.kiln.runtime.interp.OpRunner.run1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ElementwiseKernelsTest {
  private static final Tensor I = Tensor.fromLongs(new long[] {7, -7, 6}, 3);

  @Test
  void binaryOpsBroadcastRowsAgainstColumns() {
    Tensor col = f(fl(1, 2), 2, 1), row = f(fl(10, 20, 30), 3);
    Tensor s = run1(ElementwiseOps.ADD, Map.of(), col, row);
    assertArrayEquals(new long[] {2, 3}, s.shape());
    assertArrayEquals(fl(11, 21, 31, 12, 22, 32), s.toFloatArray());
    assertArrayEquals(fl(-19, -39, -59, -18, -38, -58), run1(ElementwiseOps.SUB, attrs("alpha", 2L), col, row).toFloatArray());
    assertArrayEquals(fl(21, 41, 61, 22, 42, 62), run1(ElementwiseOps.ADD, attrs("alpha", 2.0), col, row).toFloatArray());
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class,
        () -> OpRunner.runUnranked(ElementwiseOps.MUL, Map.of(), f(fl(1, 2), 2), Tensor.zeros(DType.F32, 3)));
    assertTrue(e.getMessage().contains("do not broadcast"), e.getMessage());
  }

  @Test
  void typePromotionFollowsPyTorch() {
    assertEquals(DType.F32, run1(ElementwiseOps.MUL, Map.of(), I, 2.5).dtype());
    assertArrayEquals(fl(17.5, -17.5, 15), run1(ElementwiseOps.MUL, Map.of(), I, 2.5).toFloatArray());
    assertEquals(DType.I64, run1(ElementwiseOps.ADD, Map.of(), Tensor.fromInts(new int[] {1}, 1), I).dtype());
    assertEquals(DType.I32, run1(ElementwiseOps.ADD, Map.of(), Tensor.fromInts(new int[] {1}, 1), 5L).dtype());
    // a zero-dim f64 tensor does not widen a dimensioned f32 tensor, but a dimensioned f64 does
    assertEquals(DType.F32, run1(ElementwiseOps.ADD, Map.of(), f(fl(1), 1), Tensor.fromDoubles(new double[] {1})).dtype());
    assertEquals(DType.F64, run1(ElementwiseOps.ADD, Map.of(), f(fl(1), 1), Tensor.fromDoubles(new double[] {1}, 1)).dtype());
    assertEquals(DType.F32, run1(ElementwiseOps.ADD, Map.of(), Tensor.fromBools(new boolean[] {true}, 1), f(fl(1), 1)).dtype());
  }

  @Test
  void divisionRoundingModes() {
    Tensor two = Tensor.fromLongs(new long[] {2}, 1);
    Tensor t = run1(ElementwiseOps.DIV, Map.of(), I, two);
    assertEquals(DType.F32, t.dtype());
    assertArrayEquals(fl(3.5, -3.5, 3), t.toFloatArray());
    assertArrayEquals(new long[] {3, -3, 3}, run1(ElementwiseOps.DIV, attrs("rounding_mode", "trunc"), I, two).toLongArray());
    assertArrayEquals(new long[] {3, -4, 3}, run1(ElementwiseOps.DIV, attrs("rounding_mode", "floor"), I, two).toLongArray());
    assertArrayEquals(fl(-4, 3), run1(ElementwiseOps.DIV, attrs("rounding_mode", "floor"), f(fl(-7, 7), 2), 2.0).toFloatArray());
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class,
        () -> run1(ElementwiseOps.DIV, attrs("rounding_mode", "floor"), I, 0L));
    assertTrue(e.getMessage().contains("ZeroDivisionError"), e.getMessage());
  }

  @Test
  void integerOpsStayExact() {
    Tensor big = Tensor.fromLongs(new long[] {(1L << 53) + 1}, 1);
    assertEquals((1L << 53) + 2, run1(ElementwiseOps.ADD, Map.of(), big, 1L).longAt(0));
    assertArrayEquals(new long[] {49, 49, 36}, run1(ElementwiseOps.POW, Map.of(), I, 2L).toLongArray());
    assertArrayEquals(new long[] {7, -7, 6}, run1(ElementwiseOps.MAXIMUM, Map.of(), I, -8L).toLongArray());
    assertArrayEquals(new long[] {7, 7, 6}, run1(ElementwiseOps.ABS, Map.of(), I).toLongArray());
  }

  @Test
  void comparisonsWhereAndMaskedFill() {
    Tensor x = f(fl(1, 2, 3), 3);
    Tensor gt = run1(ElementwiseOps.GT, Map.of(), x, 1L);
    assertEquals(DType.BOOL, gt.dtype());
    assertArrayEquals(new long[] {0, 1, 1}, gt.toLongArray());
    assertArrayEquals(new long[] {1, 0, 0}, run1(ElementwiseOps.EQ, Map.of(), x, 1.0).toLongArray());
    assertArrayEquals(fl(0, 2, 3), run1(ElementwiseOps.WHERE, Map.of(), gt, x, f(fl(0), 1)).toFloatArray());
    assertArrayEquals(fl(1, -1, -1), run1(ElementwiseOps.MASKED_FILL, Map.of(), x, gt, -1.0).toFloatArray());
  }

  @Test
  void activationsMatchTheirFormulas() {
    Tensor x = f(fl(-3, -0.5, 0, 0.5, 3, 8), 6);
    assertArrayEquals(fl(0, 0, 0, 0.5, 3, 8), run1(ElementwiseOps.RELU, Map.of(), x).toFloatArray());
    assertArrayEquals(fl(0, 0, 0, 0.5, 3, 6), run1(ElementwiseOps.HARDTANH, attrs("min_val", 0.0, "max_val", 6.0), x).toFloatArray());
    assertArrayEquals(fl(-1, -0.5, 0, 0.5, 1, 1), run1(ElementwiseOps.HARDTANH, Map.of(), x).toFloatArray());
    assertArrayEquals(fl(-0.5, -0.5, 0, 0.5, 3, 8), run1(ElementwiseOps.CLAMP, attrs("min", -0.5), x).toFloatArray());
    assertArrayEquals(fl(-3, -0.5, 0, 0.5, 1, 1), run1(ElementwiseOps.CLAMP, attrs("max", 1.0), x).toFloatArray());
    assertArrayEquals(fl(-0.03, -0.005, 0, 0.5, 3, 8), run1(ElementwiseOps.LEAKY_RELU, Map.of(), x).toFloatArray(), 1e-7f);
    assertArrayEquals(fl(0, -0.5 * 2.5 / 6, 0, 0.5 * 3.5 / 6, 3, 8), run1(ElementwiseOps.HARDSWISH, Map.of(), x).toFloatArray(), 1e-6f);
    // gelu(x) = x * Phi(x); Phi(0.5) = 0.6914624612740131, Phi(3) = 0.9986501019683699
    float[] g = run1(ElementwiseOps.GELU, Map.of(), x).toFloatArray();
    assertEquals(0.5 * 0.6914624612740131, g[3], 1e-7);
    assertEquals(3 * 0.9986501019683699, g[4], 1e-6);
    assertEquals(-0.5 * (1 - 0.6914624612740131), g[1], 1e-7);
    float[] gt = run1(ElementwiseOps.GELU, attrs("approximate", "tanh"), x).toFloatArray();
    assertEquals(0.5 * 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (0.5 + 0.044715 * 0.125))), gt[3], 1e-7);
    assertArrayEquals(fl(1 / (1 + Math.exp(3)), 1 / (1 + Math.exp(0.5))), java.util.Arrays.copyOf(run1(ElementwiseOps.SIGMOID, Map.of(), x).toFloatArray(), 2), 1e-7f);
  }

  @Test
  void erfIsAccurate() {
    double[][] known = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
        {2, 0.9953222650189527}, {2.5, 0.9995930479825550}, {3, 0.9999779095030014}, {-1.5, -0.9661051464753108}};
    for (double[] k : known) assertEquals(k[1], ActivationKernels.erf(k[0]), 1e-14, "erf(" + k[0] + ")");
  }

  @Test
  void floatOnlyUnaryOpsGiveF32ForIntegers() {
    Tensor e = run1(ElementwiseOps.EXP, Map.of(), Tensor.fromLongs(new long[] {0, 1}, 2));
    assertEquals(DType.F32, e.dtype());
    assertArrayEquals(fl(1, Math.E), e.toFloatArray());
    assertEquals(DType.I64, run1(ElementwiseOps.NEG, Map.of(), I).dtype());
  }

  @Test
  void castsTruncateFloatsTowardZero() {
    Tensor t = run1(ElementwiseOps.TO, attrs("dtype", DType.I32), f(fl(-2.7, 2.7, 0.2), 3));
    assertEquals(DType.I32, t.dtype());
    assertArrayEquals(new long[] {-2, 2, 0}, t.toLongArray());
    assertArrayEquals(new long[] {1, 1, 1}, run1(ElementwiseOps.TO, attrs("dtype", DType.BOOL), f(fl(-2.7, 2.7, 0.2), 3)).toLongArray());
  }
}
