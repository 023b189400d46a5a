package dev.kiln.runtime.interp;

import static dev.kiln.ir.Builder.attrs;
import static dev.kiln.runtime.interp.OpRunner.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.OpDef;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.Tuple;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrimKernelsTest {
  private static Object one(OpDef op, Object... in) { return run(op, Map.of(), in).get(0); }

  @Test
  void floorDivisionAndModuloFollowPython() {
    assertEquals(-4L, one(PrimOps.FLOORDIV, -7L, 2L));
    assertEquals(1L, one(PrimOps.MOD, -7L, 2L));
    assertEquals(-1L, one(PrimOps.MOD, 7L, -2L));
    assertEquals(-4.0, one(PrimOps.FLOORDIV, -7.0, 2L));
    assertEquals(0.5, (double) one(PrimOps.MOD, -7.5, 2L), 1e-12);
    assertEquals(3.5, one(PrimOps.DIV, 7L, 2L));
    assertEquals(9L, one(PrimOps.POW, 3L, 2L));
    assertEquals(2.5, one(PrimOps.ADD, 2L, 0.5));
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> one(PrimOps.FLOORDIV, 1L, 0L));
    assertTrue(e.getMessage().contains("prim.floordiv") && e.getMessage().contains("ZeroDivisionError"), e.getMessage());
  }

  @Test
  void comparisonsAndConversions() {
    assertEquals(true, one(PrimOps.EQ, 1L, 1.0));
    assertEquals(true, one(PrimOps.LT, 1L, 1.5));
    assertEquals(false, one(PrimOps.NOT, true));
    assertEquals(-2L, one(PrimOps.INT_, -2.9));
    assertEquals(3L, one(PrimOps.INT_, Tensor.fromLongs(new long[] {3})));
    assertEquals(1.5, one(PrimOps.FLOAT_, Tensor.fromFloats(new float[] {1.5f}, 1)));
    assertEquals(2.0, one(PrimOps.ITEM, Tensor.fromDoubles(new double[] {2})));
    assertEquals(0.5, ((Tensor) one(PrimOps.TO_TENSOR, 0.5)).doubleAt(0));
  }

  @Test
  void sizesListsAndTuples() {
    Tensor x = Tensor.zeros(dev.kiln.ir.DType.F32, 2, 5);
    assertEquals(5L, run(PrimOps.SIZE, attrs("dim", -1L), x).get(0));
    assertEquals(List.of(2L, 5L), one(PrimOps.SHAPE, x));
    assertEquals(10L, one(PrimOps.NUMEL, x));
    assertEquals(List.of(4L, 5L), one(PrimOps.LIST, 4L, 5L));
    assertEquals(5L, one(PrimOps.LIST_GET, List.of(4L, 5L), -1L));
    assertEquals(2L, one(PrimOps.LEN, List.of(4L, 5L)));
    assertEquals(List.of(4L, 5L), run(PrimOps.LIST_UNPACK, attrs("n", 2L), List.of(4L, 5L)));
    Tuple t = (Tuple) one(PrimOps.TUPLE, 1L, x);
    assertEquals(2, t.size());
    assertEquals(1L, t.get(0));
  }
}
