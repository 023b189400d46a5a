package dev.kiln.runtime.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelPrinter;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * native/plan.json: every statement and expression kind survives a round trip exactly (including NaN, infinities
 * and float constants that are not short decimals), bad plans are refused saying where, and a plan with no native
 * step runs through {@link NativeExecutor} (JVM kernel and reference call) without any native code.
 */
class NativePlanJsonTest {
  static final String REF = """
      graph @r(%a: f32[2,3]) -> (f32[2,3]) {
        %0 = nn.neg(%a) : f32[2,3]
        return(%0)
      }""";

  /** y = relu(x * 0.1f) + (every other kind of statement and expression, in dead-but-valid code), then z = -y. */
  static NativePlan plan() {
    Map<String, KBuffer> b = new LinkedHashMap<>();
    b.put("x", new KBuffer("x", KType.F32, new long[] {2, 3}, KBuffer.Role.INPUT, "0"));
    b.put("y", new KBuffer("y", KType.F32, new long[] {2, 3}, KBuffer.Role.TEMP, null));
    b.put("y2", new KBuffer("y2", KType.F32, new long[] {6}, KBuffer.Role.ALIAS, "y"));
    b.put("z", new KBuffer("z", KType.F32, new long[] {2, 3}, KBuffer.Role.TEMP, null));
    b.put("s", new KBuffer("s", KType.F32, new long[] {9}, KBuffer.Role.TEMP, null));
    b.put("m", new KBuffer("m", KType.BOOL, new long[] {1}, KBuffer.Role.TEMP, null));
    b.put("l", new KBuffer("l", KType.I64, new long[] {1}, KBuffer.Role.TEMP, null));
    b.put("o", new KBuffer("o", KType.OBJ, null, KBuffer.Role.TEMP, null));
    Expr i = new Expr.Var("i", KType.INT);
    Expr v = new Expr.Load("x", KType.F32, i);
    Expr scaled = Expr.bin(Expr.BOp.MUL, v, Expr.f32(0.1f));
    Expr relu = new Expr.Select(Expr.bin(Expr.BOp.GT, scaled, Expr.f32(0)), scaled, Expr.f32(0));
    List<Stmt> body = List.of(
        new Stmt.For("i", 6, List.of(new Stmt.Store("y2", i, relu))),
        new Stmt.Let("acc", Expr.f32(Double.NaN), true),
        new Stmt.Assign("acc", new Expr.Unary(Expr.UOp.EXP, Expr.f32(Double.NEGATIVE_INFINITY))),
        new Stmt.Store("m", Expr.i32(0), new Expr.Unary(Expr.UOp.NOT, Expr.bin(Expr.BOp.LT, Expr.f32(1), Expr.f32(2)))),
        new Stmt.Store("l", Expr.i32(0), new Expr.Cast(KType.I64, new Expr.Var("acc", KType.F32))),
        new Stmt.Gemm(false, true, 1, 1, 1, 0.5f, "s", Expr.i32(0), 1, "s", Expr.i32(1), 1, 0f, "s", Expr.i32(2), 1),
        new Stmt.Conv(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, false, "s", "s", null, "s"));
    Kernel k = new Kernel("k0", List.of("x", "y2", "m", "l", "s"), body, "%y = nn.relu(...)");
    KernelProgram p = new KernelProgram("t", b, List.of("x"), List.of("z", "y"), List.of(), List.of(), List.of(REF));
    return new NativePlan(p, List.of("x", "y", "z", "s", "m", "l"), 128, List.of(),
        List.of(new NativePlan.Step.Java(k), new NativePlan.Step.Reference(new Stmt.CallReference(0, List.of("y"), List.of("z")))));
  }

  @Test
  void aPlanReadsBackExactly() {
    NativePlan p = plan();
    String text = NativePlanJson.write(p);
    NativePlan back = NativePlanJson.read(text, "plan.json");
    assertEquals(text, NativePlanJson.write(back));
    Kernel k = ((NativePlan.Step.Java) back.run().getFirst()).kernel();
    assertEquals(KernelPrinter.print(new KernelProgram("t", p.program().buffers(), List.of("x"), List.of("z"), List.of(), List.of(k), List.of())),
        KernelPrinter.print(new KernelProgram("t", p.program().buffers(), List.of("x"), List.of("z"), List.of(),
            List.of(((NativePlan.Step.Java) p.run().getFirst()).kernel()), List.of())));
    Stmt.Let nan = (Stmt.Let) k.body().get(1);
    assertTrue(Double.isNaN(((Expr.Const) nan.value()).value()));
    assertEquals((double) 0.1f, ((Expr.Const) ((Expr.Binary) ((Expr.Select) ((Stmt.Store) ((Stmt.For) k.body().get(0)).body().get(0)).value()).a()).b()).value());
  }

  @Test
  void aPlanWithoutNativeCodeRunsOnTheJvm() {
    CompiledModel m = NativeProgram.link(plan(), s -> Optional.empty(), null).instantiate(Map.of());
    Tensor x = Tensor.fromFloats(new float[] {-2, -1, 0, 1, 2, 30}, 2, 3);
    List<Object> out = m.run(List.of(x));
    assertEquals(List.of(-0f, -0f, -0f, -0.1f, -0.2f, -3f).toString(), floats((Tensor) out.get(0)));
    assertEquals(List.of(0f, 0f, 0f, 0.1f, 0.2f, 3f).toString(), floats((Tensor) out.get(1)));
  }

  @Test
  void badPlansAreRefusedSayingWhere() {
    String good = NativePlanJson.write(plan());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> NativePlanJson.read(good.replace("\"sel\"", "\"select\""), "m.kiln!native/plan.json"));
    assertTrue(e.getMessage().startsWith("m.kiln!native/plan.json: run[0].jvm.body[0][3][0][3]: expected an expression"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NativePlanJson.read(good.replace("\"storages\": [\"x\", ", "\"storages\": ["), "p"));
    assertTrue(e.getMessage().contains("buffer %x has no storage slot"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NativePlanJson.read(good.replace("\"format\": 2", "\"format\": 7"), "p"));
    assertEquals("p: format: plan format 7, this runtime reads 2 and 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> NativeProgram.link(withNative(), s -> Optional.empty(), null));
    assertEquals("the native code exports no function kiln_run_seg0 that the plan of @t calls", e.getMessage());
  }

  private static NativePlan withNative() {
    NativePlan p = plan();
    return new NativePlan(p.program(), p.storages(), p.workspaceBytes(), List.of(), List.of(new NativePlan.Step.Native("kiln_run_seg0", 1, 0)));
  }

  private static String floats(Tensor t) {
    List<Float> out = new java.util.ArrayList<>();
    for (float f : t.toFloatArray()) out.add(f);
    return out.toString();
  }
}
