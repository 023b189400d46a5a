package dev.kiln.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.DType;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class TensorTest {
  private static Tensor iota(long... shape) {
    float[] v = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = i;
    return Tensor.fromFloats(v, shape);
  }

  @Test
  void factoriesKeepDtypeShapeAndValues() {
    assertEquals(DType.F64, Tensor.fromDoubles(new double[] {1.5}, 1).dtype());
    assertArrayEquals(new long[] {7, -2}, Tensor.fromLongs(new long[] {7, -2}, 2).toLongArray());
    assertArrayEquals(new long[] {3, 4}, Tensor.fromInts(new int[] {3, 4}, 2, 1).toLongArray());
    Tensor b = Tensor.fromBools(new boolean[] {true, false}, 2);
    assertEquals(DType.BOOL, b.dtype());
    assertArrayEquals(new float[] {1, 0}, b.toFloatArray());
    assertThrows(IllegalArgumentException.class, () -> Tensor.fromFloats(new float[3], 2, 2));
  }

  @Test
  void fromFloatsCopiesAndWrapShares() {
    float[] data = {1, 2};
    Tensor copy = Tensor.fromFloats(data, 2), shared = Tensor.wrapFloats(data, 2);
    data[0] = 9;
    assertEquals(1, copy.doubleAt(0));
    assertEquals(9, shared.doubleAt(0));
    assertSame(data, shared.floatData());
  }

  @Test
  void segmentSharesStorageWithoutCopy() {
    Tensor t = iota(2, 3);
    assertEquals(24, t.segment().byteSize());
    assertEquals(4f, t.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 4));
    Tensor row = t.select(0, 1);
    assertEquals(3f, row.segment().getAtIndex(ValueLayout.JAVA_FLOAT, 0));
  }

  @Test
  void permuteIsAViewAndContiguousCopiesInRowMajorOrder() {
    Tensor t = iota(2, 3);
    Tensor p = t.transpose(0, 1);
    assertArrayEquals(new long[] {3, 2}, p.shape());
    assertFalse(p.isContiguous());
    assertSame(t.storage(), p.storage());
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, p.toFloatArray());
    assertTrue(p.contiguous().isContiguous());
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, p.contiguous().toFloatArray());
  }

  @Test
  void sliceUsesPythonClampingAndSteps() {
    Tensor t = iota(6);
    assertArrayEquals(new float[] {1, 3, 5}, t.slice(0, 1, 100, 2).toFloatArray());
    assertArrayEquals(new float[] {4, 5}, t.slice(0, -2, Long.MAX_VALUE, 1).toFloatArray());
    assertEquals(0, t.slice(0, 4, 2, 1).numel());
    assertArrayEquals(new float[] {0, 1}, t.slice(0, -100, -4, 1).toFloatArray());
  }

  @Test
  void expandBroadcastsWithZeroStrides() {
    Tensor t = iota(3, 1).expand(3, 4);
    assertEquals(0, t.strides()[1]);
    assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}, t.toFloatArray());
    assertThrows(IllegalArgumentException.class, () -> iota(3).expand(4));
  }

  @Test
  void reshapeInfersMinusOneAndCopiesViews() {
    assertArrayEquals(new long[] {3, 2}, iota(6).reshape(-1, 2).shape());
    Tensor viewed = iota(2, 3).transpose(0, 1).reshape(6);
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, viewed.toFloatArray());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> iota(6).reshape(4, -1));
    assertTrue(e.getMessage().contains("[6]"), e.getMessage());
  }

  @Test
  void castsTruncateTowardZero() {
    Tensor t = Tensor.fromFloats(new float[] {-1.7f, 2.9f, 0f}, 3);
    assertArrayEquals(new long[] {-1, 2, 0}, t.to(DType.I64).toLongArray());
    assertArrayEquals(new long[] {1, 1, 0}, t.to(DType.BOOL).toLongArray());
    assertArrayEquals(new long[] {255, 1}, Tensor.fromLongs(new long[] {-1, 257}, 2).to(DType.U8).toLongArray());
    assertEquals(1.5, Tensor.scalar(DType.F16, 1.5).doubleAt(0));
    assertEquals(1.5, Tensor.scalar(DType.BF16, 1.5).doubleAt(0));
  }

  @Test
  void allCloseAndMaxAbsDiff() {
    Tensor a = Tensor.fromFloats(new float[] {1, 2, Float.NaN}, 3);
    Tensor b = Tensor.fromFloats(new float[] {1, 2.001f, Float.NaN}, 3);
    assertTrue(a.allClose(b, 0.01, 0));
    assertFalse(a.allClose(b, 1e-5, 1e-5));
    assertEquals(0.001, a.maxAbsDiff(b), 1e-6);
    assertFalse(a.allClose(iota(3), 1, 1));
    assertThrows(IllegalArgumentException.class, () -> a.maxAbsDiff(iota(4)));
  }

  @Test
  void toStringShowsDtypeShapeAndFirstValues() {
    assertEquals("f32[2,5] [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, ...]", iota(2, 5).toString());
    assertEquals("bool[1] [true]", Tensor.fromBools(new boolean[] {true}, 1).toString());
  }
}
