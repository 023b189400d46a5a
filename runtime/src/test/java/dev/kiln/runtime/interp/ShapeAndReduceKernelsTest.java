package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.runtime.interp.OpRunner.f;
import static dev.kiln.runtime.interp.OpRunner.fl;
import static dev.kiln.runtime.interp.OpRunner.run;
import static dev.kiln.runtime.interp.OpRunner.run1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.ir.DType;
import dev.kiln.ir.ops.ReduceOps;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapeAndReduceKernelsTest {
  private static final Tensor X = f(fl(0, 1, 2, 3, 4, 5), 2, 3);

  @Test
  void reshapeFromAttributeAndFromListOperand() {
    assertArrayEquals(new long[] {3, 2}, run1(ShapeOps.RESHAPE, attrs("shape", new long[] {-1, 2}), X).shape());
    Tensor r = run1(ShapeOps.RESHAPE, Map.of(), X, List.of(6L));
    assertArrayEquals(new long[] {6}, r.shape());
    assertArrayEquals(fl(0, 1, 2, 3, 4, 5), r.toFloatArray());
    assertArrayEquals(new long[] {6}, run1(ShapeOps.FLATTEN, Map.of(), X).shape());
  }

  @Test
  void permuteTransposeSliceSelect() {
    assertArrayEquals(fl(0, 3, 1, 4, 2, 5), run1(ShapeOps.PERMUTE, attrs("dims", new long[] {1, 0}), X).toFloatArray());
    assertArrayEquals(fl(0, 3, 1, 4, 2, 5), run1(ShapeOps.TRANSPOSE, attrs("dim0", 0L, "dim1", -1L), X).toFloatArray());
    assertArrayEquals(fl(1, 2, 4, 5), run1(ShapeOps.SLICE, attrs("dim", 1L, "start", -2L, "end", 100L), X).toFloatArray());
    assertArrayEquals(fl(0, 2, 3, 5), run1(ShapeOps.SLICE, attrs("dim", 1L, "step", 2L), X).toFloatArray());
    assertArrayEquals(fl(3, 4, 5), run1(ShapeOps.SELECT, attrs("dim", 0L, "index", -1L), X).toFloatArray());
  }

  @Test
  void catStackChunkSplit() {
    Tensor c = run1(ShapeOps.CAT, attrs("dim", 1L), X, f(fl(9, 9), 2, 1));
    assertArrayEquals(fl(0, 1, 2, 9, 3, 4, 5, 9), c.toFloatArray());
    Tensor s = run1(ShapeOps.STACK, attrs("dim", 1L), f(fl(1, 2), 2), f(fl(3, 4), 2));
    assertArrayEquals(new long[] {2, 2}, s.shape());
    assertArrayEquals(fl(1, 3, 2, 4), s.toFloatArray());
    List<Object> parts = run(ShapeOps.CHUNK, attrs("chunks", 2L, "dim", 1L), X);
    assertEquals(2, parts.size());
    assertArrayEquals(fl(0, 1, 3, 4), ((Tensor) parts.get(0)).toFloatArray());
    assertArrayEquals(fl(2, 5), ((Tensor) parts.get(1)).toFloatArray());
    List<Object> sp = run(ShapeOps.SPLIT, attrs("sizes", new long[] {1, 2}, "dim", 1L), X);
    assertArrayEquals(fl(1, 2, 4, 5), ((Tensor) sp.get(1)).toFloatArray());
  }

  @Test
  void expandSqueezeUnsqueezeIndexFull() {
    Tensor e = run1(ShapeOps.EXPAND, attrs("sizes", new long[] {2, -1}), f(fl(1, 2, 3), 1, 3));
    assertArrayEquals(fl(1, 2, 3, 1, 2, 3), e.toFloatArray());
    assertArrayEquals(new long[] {3}, run1(ShapeOps.SQUEEZE, Map.of(), f(fl(1, 2, 3), 1, 3, 1)).shape());
    assertArrayEquals(new long[] {2, 1, 3}, run1(ShapeOps.UNSQUEEZE, attrs("dim", 1L), X).shape());
    Tensor idx = Tensor.fromLongs(new long[] {1, -2}, 2);
    assertArrayEquals(fl(3, 4, 5, 0, 1, 2), run1(ShapeOps.INDEX, Map.of(), X, idx).toFloatArray());
    assertArrayEquals(fl(2, 0, 5, 3), run1(ShapeOps.INDEX_SELECT, attrs("dim", 1L), X, Tensor.fromLongs(new long[] {2, 0}, 2)).toFloatArray());
    Tensor full = run1(ShapeOps.FULL, attrs("shape", new long[] {2}, "value", 7.0, "dtype", DType.I64));
    assertArrayEquals(new long[] {7, 7}, full.toLongArray());
  }

  @Test
  void reductions() {
    assertArrayEquals(fl(1, 4), run1(ReduceOps.MEAN, attrs("dims", new long[] {1}), X).toFloatArray());
    assertArrayEquals(new long[] {1, 3}, run1(ReduceOps.SUM, attrs("dims", new long[] {0}, "keepdim", true), X).shape());
    assertArrayEquals(fl(3, 5, 7), run1(ReduceOps.SUM, attrs("dims", new long[] {0}), X).toFloatArray());
    Tensor ints = run1(ReduceOps.SUM, Map.of(), Tensor.fromInts(new int[] {Integer.MAX_VALUE, 1}, 2));
    assertEquals(DType.I64, ints.dtype());
    assertEquals(Integer.MAX_VALUE + 1L, ints.longAt(0));
    assertEquals(DType.I64, run1(ReduceOps.SUM, Map.of(), Tensor.fromBools(new boolean[] {true, true}, 2)).dtype());
    assertArrayEquals(fl(2, 5), run1(ReduceOps.AMAX, attrs("dims", new long[] {-1}), X).toFloatArray());
    assertArrayEquals(new long[] {1, 0}, run1(ReduceOps.ARGMAX, attrs("dim", 1L), f(fl(1, 5, 5, 9, 2, 3), 2, 3)).toLongArray());
    assertEquals(5, run1(ReduceOps.ARGMAX, Map.of(), X).longAt(0));
  }
}
