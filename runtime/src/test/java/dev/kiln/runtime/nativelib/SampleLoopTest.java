package dev.kiln.runtime.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A batch-split plan ({@link NativePlan#batch}) without native code: a JVM kernel {@code y[i] = -x[i] + w[i]} over one
 * sample {@code [1,3]} runs once per sample of a static batch and of a symbolic one; its plan.json is format 3 with
 * the batch and reads back; inputs of the wrong shape are refused naming the input; a split plan whose input is not
 * one sample is refused.
 */
class SampleLoopTest {
  static NativePlan plan(long batch) {
    Map<String, KBuffer> b = new LinkedHashMap<>();
    b.put("x", new KBuffer("x", KType.F32, new long[] {1, 3}, KBuffer.Role.INPUT, "0"));
    b.put("w", new KBuffer("w", KType.F32, new long[] {3}, KBuffer.Role.WEIGHT, "w"));
    b.put("y", new KBuffer("y", KType.F32, new long[] {1, 3}, KBuffer.Role.TEMP, null));
    Expr i = new Expr.Var("i", KType.INT);
    Expr v = Expr.bin(Expr.BOp.ADD, new Expr.Unary(Expr.UOp.NEG, new Expr.Load("x", KType.F32, i)), new Expr.Load("w", KType.F32, i));
    Kernel k = new Kernel("k0", List.of("x", "w", "y"), List.of(new Stmt.For("i", 3, List.of(new Stmt.Store("y", i, v)))), "%y = ...");
    KernelProgram p = new KernelProgram("t", b, List.of("x"), List.of("y"), List.of(), List.of(), List.of());
    return new NativePlan(p, List.of("x", "w", "y"), 0, List.of(), List.of(new NativePlan.Step.Java(k)), batch);
  }

  static final Map<String, Tensor> W = Map.of("w", Tensor.fromFloats(new float[] {10, 20, 30}, 3));

  @Test
  void eachSampleRunsThroughTheBatchOnePlanOnOneOrSeveralThreads() {
    NativeProgram code = NativeProgram.link(NativePlanJson.read(NativePlanJson.write(plan(5)), "p"), s -> Optional.empty(), null);
    float[] x = new float[15];
    for (int j = 0; j < x.length; j++) x[j] = j + 1;
    System.setProperty("kiln.native.minForkWork", "0"); // lanes even for this little work
    try {
      for (int threads : new int[] {1, 2, 3}) { // in order on one thread; else samples shared among lanes
        Tensor y = (Tensor) code.instantiate(W, threads).run(List.of(Tensor.fromFloats(x, 5, 3))).getFirst();
        assertEquals("[5, 3]", Arrays.toString(y.shape()));
        assertEquals("[9.0, 18.0, 27.0, 6.0, 15.0, 24.0, 3.0, 12.0, 21.0, 0.0, 9.0, 18.0, -3.0, 6.0, 15.0]", Arrays.toString(y.toFloatArray()),
            threads + " threads");
      }
    } finally {
      System.clearProperty("kiln.native.minForkWork");
    }
  }

  @Test
  void aSymbolicBatchTakesItsSizeFromTheInput() {
    CompiledModel m = NativeProgram.link(plan(0), s -> Optional.empty(), null).instantiate(W);
    for (int n : new int[] {1, 3}) {
      float[] x = new float[3 * n];
      for (int j = 0; j < x.length; j++) x[j] = j;
      Tensor y = (Tensor) m.run(List.of(Tensor.fromFloats(x, n, 3))).getFirst();
      assertEquals(n, y.size(0));
      for (int j = 0; j < x.length; j++) assertEquals(-x[j] + 10 * (j % 3 + 1), y.toFloatArray()[j], "sample " + j / 3);
    }
  }

  @Test
  void theJsonCarriesTheBatchAndOnlySplitPlansAreFormat3() {
    String split = NativePlanJson.write(plan(4));
    assertTrue(split.contains("\"format\": 3") && split.contains("\"batch\": 4"), split);
    assertEquals(4, NativePlanJson.read(split, "p").batch());
    String plain = NativePlanJson.write(plan(1));
    assertTrue(plain.contains("\"format\": 2") && !plain.contains("batch"), plain);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativePlanJson.read(split.replace("\"format\": 3", "\"format\": 2"), "p"));
    assertTrue(e.getMessage().startsWith("p: batch: plan format 2 with batch 4"), e.getMessage());
  }

  @Test
  void wrongShapesAreRefusedNamingTheInput() {
    CompiledModel m = NativeProgram.link(plan(2), s -> Optional.empty(), null).instantiate(W);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.run(List.of(Tensor.fromFloats(new float[9], 3, 3))));
    assertEquals("input 0 (buffer %x, 2 samples of f32[1,3]): expected a tensor of [2,3], got [3,3]", e.getMessage());
    CompiledModel any = NativeProgram.link(plan(0), s -> Optional.empty(), null).instantiate(W);
    e = assertThrows(IllegalArgumentException.class, () -> any.run(List.of(Tensor.fromFloats(new float[8], 2, 4))));
    assertTrue(e.getMessage().startsWith("input 0 (buffer %x, N samples of f32[1,3]): expected a tensor of [2,3], got [2,4]"), e.getMessage());
  }

  @Test
  void aSplitPlanTakesOneSample() {
    NativePlan p = plan(1);
    Map<String, KBuffer> b = new LinkedHashMap<>(p.program().buffers());
    b.put("x", new KBuffer("x", KType.F32, new long[] {2, 3}, KBuffer.Role.INPUT, "0"));
    KernelProgram two = new KernelProgram("t", b, List.of("x"), List.of("y"), List.of(), List.of(), List.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new NativePlan(two, p.storages(), 0, List.of(), p.run(), 4));
    assertEquals("plan @t: input %x is not one sample [1,...] of a batch-split plan: [2,3]", e.getMessage());
  }
}
