package dev.kiln.runtime.interp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class InterpreterTest {
  private static final TensorType F2 = Type.tensor(DType.F32, 2);

  /** graph(%x: f32[2], %flag: bool) = if flag then -x else x + x */
  private static Graph ifGraph() {
    Graph g = new Graph("branch");
    Value x = g.addParam(F2, "x"), flag = g.addParam(PrimType.BOOL, "flag");
    Builder b = Builder.atEnd(g.body());
    Node ifNode = b.createTyped(ControlOps.IF, List.of(flag), Map.of(), List.of(F2));
    Builder then = Builder.atEnd(ifNode.block(0));
    then.createTyped(ControlOps.YIELD, List.of(then.op(ElementwiseOps.NEG, x)), Map.of(), List.of());
    Builder els = Builder.atEnd(ifNode.block(1));
    els.createTyped(ControlOps.YIELD, List.of(els.op(ElementwiseOps.ADD, x, x)), Map.of(), List.of());
    b.ret(ifNode.result());
    return g;
  }

  @Test
  void ifRunsTheTakenBranch() {
    Interpreter in = new Interpreter(ifGraph(), Map.of());
    Tensor x = Tensor.fromFloats(new float[] {1, -2}, 2);
    assertArrayEquals(new float[] {-1, 2}, ((Tensor) in.run(List.of(x, true)).get(0)).toFloatArray());
    assertArrayEquals(new float[] {2, -4}, ((Tensor) in.run(List.of(x, false)).get(0)).toFloatArray());
  }

  /** acc = x; for i in range(trip) while acc.sum < limit: acc = acc * 2 + i; also counts iterations. */
  private static Graph loopGraph() {
    Graph g = new Graph("loop");
    Value x = g.addParam(F2, "x"), trip = g.addParam(PrimType.INT, "trip"), limit = g.addParam(PrimType.FLOAT, "limit");
    Builder b = Builder.atEnd(g.body());
    Value t = b.literal(Attr.of(true), PrimType.BOOL);
    Value zero = b.literal(Attr.of(0L), PrimType.INT);
    Node loop = b.createTyped(ControlOps.LOOP, List.of(trip, t, x, zero), Map.of(), List.of(F2, PrimType.INT));
    Value i = loop.block(0).addArg(PrimType.INT, "i");
    Value acc = loop.block(0).addArg(F2, "acc");
    Value count = loop.block(0).addArg(PrimType.INT, "count");
    Builder body = Builder.atEnd(loop.block(0));
    Value two = body.literal(Attr.of(2.0), PrimType.FLOAT);
    Value next = body.op(ElementwiseOps.ADD, body.op(ElementwiseOps.MUL, acc, two), i);
    Value one = body.literal(Attr.of(1L), PrimType.INT);
    Value nextCount = body.op(PrimOps.ADD, count, one);
    Value sum = body.op(PrimOps.FLOAT_, body.op(dev.kiln.ir.ops.ReduceOps.SUM, next));
    Value go = body.op(PrimOps.LT, sum, limit);
    body.createTyped(ControlOps.YIELD, List.of(go, next, nextCount), Map.of(), List.of());
    b.ret(loop.result(0), loop.result(1));
    return g;
  }

  @Test
  void loopCarriesValuesAndStopsOnTripCountOrCondition() {
    Interpreter in = new Interpreter(loopGraph(), Map.of());
    Tensor x = Tensor.fromFloats(new float[] {1, 0}, 2);
    // i=0: [2,0]; i=1: [5,1]; i=2: [12,4]
    List<Object> r = in.run(List.of(x, 3L, 1000.0));
    assertArrayEquals(new float[] {12, 4}, ((Tensor) r.get(0)).toFloatArray());
    assertEquals(3L, r.get(1));
    // stops after the step whose sum reaches 6 ([5,1])
    r = in.run(List.of(x, 100L, 6.0));
    assertArrayEquals(new float[] {5, 1}, ((Tensor) r.get(0)).toFloatArray());
    assertEquals(2L, r.get(1));
    r = in.run(List.of(x, 0L, 6.0));
    assertArrayEquals(new float[] {1, 0}, ((Tensor) r.get(0)).toFloatArray());
    assertEquals(0L, r.get(1));
  }

  @Test
  void inputsAreCheckedAgainstParametersBeforeRunning() {
    Graph g = new Graph("f");
    Value x = g.addParam(Type.tensor(DType.F32, Shape.of(List.of(Dim.sym("N"), Dim.of(3)))), "x");
    Value y = g.addParam(Type.tensor(DType.F32, Shape.of(List.of(Dim.sym("N"), Dim.of(3)))), "y");
    Builder b = Builder.atEnd(g.body());
    b.ret(b.op(ElementwiseOps.ADD, x, y));
    Interpreter in = new Interpreter(g, Map.of());
    Tensor ok = Tensor.zeros(DType.F32, 2, 3);
    assertEquals(2, ((Tensor) in.run(List.of(ok, ok)).get(0)).size(0));
    assertBadInput(in, List.of(Tensor.zeros(DType.F64, 2, 3), ok), "input 0 (%x)", "dtype f64, expected f32");
    assertBadInput(in, List.of(ok, Tensor.zeros(DType.F32, 6)), "input 1 (%y)", "rank 1, expected 2");
    assertBadInput(in, List.of(ok, Tensor.zeros(DType.F32, 2, 4)), "input 1 (%y)", "dim 1 is 4, expected 3");
    assertBadInput(in, List.of(ok, Tensor.zeros(DType.F32, 5, 3)), "input 1 (%y)", "N is already 2");
    assertBadInput(in, List.of(ok, 3L), "input 1 (%y)", "got int 3");
    assertBadInput(in, List.of(ok), "takes 2 inputs, got 1", "");
  }

  private static void assertBadInput(Interpreter in, List<Object> inputs, String who, String what) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> in.run(inputs));
    assertTrue(e.getMessage().contains(who) && e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void constantsReadWeightsAndLiterals() {
    Graph g = new Graph("c");
    Builder b = Builder.atEnd(g.body());
    Value w = b.weight("fc.weight", F2);
    Value lit = b.literal(Attr.floats(0.5, 1.5), F2);
    Value ints = b.literal(Attr.ints(1, 2, 3), new ListType(PrimType.INT));
    Value s = b.literal(Attr.of("hi"), PrimType.STR);
    Value none = b.literal(new Attr.None(), new OptionalType(PrimType.INT));
    Value i64 = b.literal(Attr.ints(7, -7), Type.tensor(DType.I64, 2));
    b.ret(b.op(ElementwiseOps.ADD, w, lit), ints, s, none, i64);
    Interpreter in = new Interpreter(g, Map.of("fc.weight", Tensor.fromFloats(new float[] {1, 2}, 2)));
    List<Object> r = in.run(List.of());
    assertArrayEquals(new float[] {1.5f, 3.5f}, ((Tensor) r.get(0)).toFloatArray());
    assertEquals(List.of(1L, 2L, 3L), r.get(1));
    assertEquals("hi", r.get(2));
    assertNull(r.get(3));
    assertArrayEquals(new long[] {7, -7}, ((Tensor) r.get(4)).toLongArray());

    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> new Interpreter(g, Map.of()).run(List.of()));
    assertTrue(e.getMessage().contains("= const") && e.getMessage().contains("\"fc.weight\" is not in the weight table"), e.getMessage());
    e = assertThrows(KilnRuntimeException.class,
        () -> new Interpreter(g, Map.of("fc.weight", Tensor.zeros(DType.F32, 3))).run(List.of()));
    assertTrue(e.getMessage().contains("expected f32[2]"), e.getMessage());
  }

  @Test
  void raiseAndAssertFailWithTheirMessageNamingTheNode() {
    Graph g = new Graph("r");
    Value ok = g.addParam(PrimType.BOOL, "ok");
    Builder b = Builder.atEnd(g.body());
    b.createTyped(ControlOps.ASSERT, List.of(ok), Builder.attrs("message", "batch must be 1"), List.of());
    b.createTyped(ControlOps.RAISE, List.of(), Builder.attrs("message", "expected 4D input", "kind", "ValueError"), List.of());
    b.ret();
    Interpreter in = new Interpreter(g, Map.of());
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> in.run(List.of(false)));
    assertTrue(e.getMessage().contains("assert") && e.getMessage().contains("batch must be 1"), e.getMessage());
    e = assertThrows(KilnRuntimeException.class, () -> in.run(List.of(true)));
    assertTrue(e.getMessage().contains("raise") && e.getMessage().contains("ValueError: expected 4D input"), e.getMessage());
  }

  @Test
  void kernelFailuresNameTheNode() {
    Graph g = new Graph("k");
    Value l = g.addParam(new ListType(PrimType.INT), "l");
    Builder b = Builder.atEnd(g.body());
    Value idx = b.literal(Attr.of(5L), PrimType.INT);
    Value got = b.op(PrimOps.LIST_GET, l, idx);
    got.setName("item");
    b.ret(got);
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class, () -> new Interpreter(g, Map.of()).run(List.of(List.of(1L, 2L))));
    assertTrue(e.getMessage().startsWith("%item = prim.list_get: list index 5 is out of range"), e.getMessage());
  }

  @Test
  void resultsThatContradictTheDeclaredTypeAreReported() {
    Graph g = new Graph("lie");
    Value x = g.addParam(F2, "x");
    Builder b = Builder.atEnd(g.body());
    Node n = Node.create(ElementwiseOps.NEG, List.of(x), Map.of(), List.of(Type.tensor(DType.F64, 2)), 0);
    g.body().append(n);
    n.result().setName("y");
    b.ret(n.result());
    KilnRuntimeException e = assertThrows(KilnRuntimeException.class,
        () -> new Interpreter(g, Map.of()).run(List.of(Tensor.zeros(DType.F32, 2))));
    assertTrue(e.getMessage().startsWith("%y = nn.neg: result 0 (%y) expected f64[2]"), e.getMessage());
  }

  @Test
  void oneInterpreterServesManyThreads() throws Exception {
    Interpreter in = new Interpreter(loopGraph(), Map.of());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (int k = 0; k < 40; k++) {
        long trip = k % 5;
        fs.add(pool.submit(() -> in.run(List.of(Tensor.fromFloats(new float[] {1, 0}, 2), trip, 1e9)).get(1)));
      }
      for (int k = 0; k < 40; k++) assertEquals((long) (k % 5), fs.get(k).get());
    } finally {
      pool.shutdown();
    }
  }
}
