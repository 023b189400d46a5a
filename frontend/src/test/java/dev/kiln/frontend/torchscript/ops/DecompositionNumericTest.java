package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.TestContext.list;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kiln.ir.DType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Builtins lowered to several IR ops compute what PyTorch computes, run through the reference interpreter. */
class DecompositionNumericTest {
  private static Tensor run(TestContext cx, Value result, Tensor... inputs) {
    cx.printReturning(result);
    return (Tensor) new Interpreter(cx.graph, Map.of()).run(List.of((Object[]) inputs)).get(0);
  }

  @Test
  void remainderTakesTheSignOfTheDivisor() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 4));
    Tensor out = run(cx, (Value) cx.call("torch.remainder", x, 3L), Tensor.fromFloats(new float[] {-7, -1, 5, 6}, 4));
    // Python: -7 % 3 == 2, -1 % 3 == 2, 5 % 3 == 2, 6 % 3 == 0
    assertArrayEquals(new float[] {2, 2, 2, 0}, out.toFloatArray());
  }

  @Test
  void logicalOrOfBoolAndFloatMasks() {
    TestContext cx = new TestContext();
    Value a = cx.param("a", Type.tensor(DType.BOOL, 4));
    Value b = cx.param("b", Type.tensor(DType.F32, 4));
    Tensor out = run(cx, (Value) cx.call("torch.logical_or", a, b),
        Tensor.fromBools(new boolean[] {true, false, false, true}, 4), Tensor.fromFloats(new float[] {0, 0, -2, 3}, 4));
    assertArrayEquals(new float[] {1, 0, 1, 1}, out.toFloatArray());
  }

  @Test
  void padAppendsZerosOnTheLastDim() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 2, 2));
    Tensor out = run(cx, (Value) cx.call("torch.pad", x, list(0L, 1L)), Tensor.fromFloats(new float[] {1, 2, 3, 4}, 2, 2));
    assertArrayEquals(new long[] {2, 3}, out.shape());
    assertArrayEquals(new float[] {1, 2, 0, 3, 4, 0}, out.toFloatArray());
  }

  @Test
  void repeatTilesEachDim() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 1, 2));
    Tensor out = run(cx, (Value) cx.call("torch.repeat", x, list(2L, 2L)), Tensor.fromFloats(new float[] {1, 2}, 1, 2));
    assertArrayEquals(new long[] {2, 4}, out.shape());
    assertArrayEquals(new float[] {1, 2, 1, 2, 1, 2, 1, 2}, out.toFloatArray());
  }

  @Test
  void allAndAnyOfATensor() {
    TestContext cx = new TestContext();
    Value x = cx.param("x", Type.tensor(DType.F32, 3));
    Value all = (Value) cx.call("torch.all", x);
    Value any = (Value) cx.call("torch.any", x);
    cx.printReturning(all, any);
    List<Object> r = new Interpreter(cx.graph, Map.of()).run(List.of(Tensor.fromFloats(new float[] {0, 2, 3}, 3)));
    assertArrayEquals(new float[] {0}, ((Tensor) r.get(0)).toFloatArray());
    assertArrayEquals(new float[] {1}, ((Tensor) r.get(1)).toFloatArray());
  }
}
