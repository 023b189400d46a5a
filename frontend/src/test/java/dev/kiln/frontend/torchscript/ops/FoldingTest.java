package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.TestContext.list;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What is known while lowering is computed in Java; only run-time data becomes IR. */
class FoldingTest {
  private final TestContext cx = new TestContext();
  private final Value x = cx.param("x", Type.tensor(DType.F32, Shape.of(List.of(Dim.sym("N"), Dim.of(3), Dim.of(4)))));

  @Test
  void sizesOfStaticDimsFold() {
    assertEquals(3L, cx.call("torch.size", x, 1L));
    assertEquals(4L, cx.call("torch.size", x, -1L));
    assertEquals(3L, cx.call("torch.dim", x));
    Value n = assertInstanceOf(Value.class, cx.call("torch.size", x, 0L));
    assertEquals("prim.size {dim=0} : int", TestContext.sig(n));
    assertSame(x, n.definingNode().operand(0));
    List<?> all = assertInstanceOf(List.class, cx.call("torch.size", x));
    assertEquals(List.of(3L, 4L), all.subList(1, 3));
    assertEquals(3L, cx.call("torch.len", all));
    assertEquals(List.of(3L, 4L), cx.call("torch.slice", all, 1L, null, 1L));
    assertEquals(List.of(all.get(0), 3L), cx.call("torch.slice", all, null, 2L));
    assertEquals(2L, cx.call("torch.len", cx.call("torch.slice", all, null, 2L)));
  }

  @Test
  void comparisonsFoldOnKnownValuesAndEmitOnTensors() {
    assertEquals(true, cx.call("torch.eq", 2L, 2.0));
    assertEquals(false, cx.call("torch.ne", cx.call("torch.dim", x), 3L));
    assertEquals(true, cx.call("torch.gt", 3L, 2L));
    assertEquals(false, cx.call("torch.lt", 0.5, 0.0));
    assertEquals(true, cx.call("torch.eq", "cpu", "cpu"));
    assertEquals(true, cx.call("torch.eq", null, null));
    assertEquals(true, cx.call("torch.eq", list(1L, 2L), list(1L, 2L)));
    assertEquals(false, cx.call("torch.eq", list(1L, 2L), list(1L, 2L, 3L)));
    assertEquals(true, cx.call("torch.ne", cx.call("torch.size", x), list(9L, 3L, 4L)) instanceof Value);
    // [N, 3, 4] != [N, 3, 5] is decided by the known 4 vs 5, whatever N is.
    List<?> s = (List<?>) cx.call("torch.size", x);
    assertEquals(true, cx.call("torch.ne", s, list(s.get(0), 3L, 5L)));
    assertEquals(false, cx.call("torch.ne", s, list(s.get(0), 3L, 4L)));
    Value m = (Value) cx.call("torch.gt", x, 0.0);
    assertEquals("bool[N,3,4]", m.type().text());
    assertEquals(true, cx.call("torch.__contains__", list(2L, 3L), 3L));
    assertEquals(false, cx.call("torch.__contains__", list(2L, 3L), 4L));
  }

  @Test
  void arithmeticFollowsPython() {
    assertEquals(11L, cx.call("torch.add", 3L, 4L, 2L));
    assertEquals(-4L, cx.call("torch.floordiv", -7L, 2L));
    assertEquals(1L, cx.call("torch.remainder", -7L, 2L));
    assertEquals(3.5, cx.call("torch.div", 7L, 2L));
    assertEquals(6.0, cx.call("torch.mul", 3L, 2.0));
    assertEquals("AssertionError: boom", cx.call("torch.add", "AssertionError: ", "boom"));
    assertEquals(List.of(1L, 2L), cx.call("torch.add", list(1L), list(2L)));
    assertEquals(2.0, cx.call("torch.sqrt", 4L));
    Value n = (Value) cx.call("torch.size", x, 0L);
    Value p = assertInstanceOf(Value.class, cx.call("torch.add", n, 1L));
    assertEquals("prim.add", p.definingNode().op().name());
  }

  @Test
  void tracedSizeArithmeticOnZeroDimTensorsFolds() {
    Object t = cx.call("ops.prim.NumToTensor", 128L);
    Value heads = (Value) cx.call("ops.prim.NumToTensor", 4L);
    Value d = assertInstanceOf(Value.class, cx.callKw("torch.div", Map.of("rounding_mode", "trunc"), t, heads));
    assertEquals(32L, Args.literalNumber(d));
    assertEquals("i64[]", d.type().text());
    Value n = (Value) cx.call("torch.size", x, 0L);
    Value run = (Value) cx.call("ops.prim.NumToTensor", n);
    assertEquals("prim.to_tensor", run.definingNode().op().name());
  }

  @Test
  void queriesFoldForCpuInference() {
    assertEquals(6L, cx.call("ops.prim.dtype", x));
    assertEquals("cpu", cx.call("ops.prim.device", x));
    assertEquals(false, cx.call("ops.prim.is_cuda", x));
    assertEquals(false, cx.call("torch.is_grad_enabled"));
    assertEquals(true, cx.call("torch.is_floating_point", x));
    assertEquals(0L, cx.call("torch.find", "cpu", "cpu", 0L, 3L));
    assertEquals(-1L, cx.call("torch.find", "cuda:0", "cpu", 0L, 6L));
    assertEquals(false, cx.call("torch.all", list(true, false)));
    assertEquals(true, cx.call("torch.any", list(false, true)));
    assertNull(cx.call("torch.warn", "careful", 2L));
  }

  @Test
  void listsMutateInPlaceAndFormatLikePython() {
    List<Object> l = list();
    assertSame(l, cx.call("torch.append", l, 1L));
    cx.call("torch.append", l, 2L);
    assertEquals(List.of(1L, 2L), l);
    assertEquals("expected 4D input (got 3D input)", cx.call("torch.format", "expected 4D input (got {}D input)", 3L));
    assertEquals("Expected hidden[0] size (2, 5, 20), got [2, 5, 20]", cx.call("torch.format", "Expected hidden[0] size {}, got {}",
        new PyTuple(list(2L, 5L, 20L)), list(2L, 5L, 20L)));
    assertEquals("eps 1e-05 {x} 0.1 True", cx.call("torch.format", "eps {} {{x}} {} {}", 1e-5, 0.1, true));
    assertEquals("1e+16 12.5 -3.0", PyFormat.floatRepr(1e16) + " " + PyFormat.floatRepr(12.5) + " " + PyFormat.floatRepr(-3.0));
  }

  @Test
  void castsAndIdentities() {
    assertSame(x, cx.call("torch.to", x, 6L));
    Value l = (Value) cx.call("torch.to", x, 4L);
    assertEquals("i64[N,3,4]", l.type().text());
    assertSame(x, cx.call("torch.dropout", x, 0.1, false));
    assertSame(x, cx.call("torch.slice", x, 0L, 0L, Long.MAX_VALUE, 1L));
    Value z = (Value) cx.callKw("torch.zeros", Map.of("dtype", 6L, "device", "cpu"), list(2L, 3L));
    assertEquals("nn.full {shape=[2,3], value=0.0, dtype=f32} : f32[2,3]", TestContext.sig(z));
    List<?> parts = assertInstanceOf(List.class, cx.call("torch.chunk", x, 3L, 1L));
    assertEquals(3, parts.size());
    assertTrue(parts.stream().allMatch(p -> ((Value) p).type().text().equals("f32[N,1,4]")));
  }
}
