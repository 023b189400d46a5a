package dev.kiln.codegen.llvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Expr.BOp;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which epilogue loops after a convolution {@link FusedEpilogue#match} takes (relu, relu6 in either order, a residual
 * add on either side, through lets) and which it leaves as loops (another op, another index, the wrong extent, a
 * residual in y's own storage, lo > hi, a plain copy); and {@link FusedEpilogue#gemmExact} for signed-zero bounds.
 */
class FusedEpilogueTest {
  // 1x1 conv, n=1, c=8, 4x4 -> oc=16: y has 256 elements
  private static final int[] Q = {1, 8, 4, 4, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1, 4, 4};
  private static final Stmt.Conv CONV = new Stmt.Conv(Q, true, "x", "w", "b", "y");

  private static KernelProgram program() {
    Map<String, KBuffer> bufs = new LinkedHashMap<>();
    bufs.put("x", new KBuffer("x", KType.F32, new long[] {1, 4, 4, 8}, KBuffer.Role.INPUT, null));
    bufs.put("w", new KBuffer("w", KType.F32, new long[] {16, 8}, KBuffer.Role.WEIGHT, "w"));
    bufs.put("b", new KBuffer("b", KType.F32, new long[] {16}, KBuffer.Role.WEIGHT, "b"));
    bufs.put("y", new KBuffer("y", KType.F32, new long[] {1, 4, 4, 16}, KBuffer.Role.TEMP, null));
    bufs.put("r", new KBuffer("r", KType.F32, new long[] {1, 4, 4, 16}, KBuffer.Role.TEMP, null));
    bufs.put("yv", new KBuffer("yv", KType.F32, new long[] {256}, KBuffer.Role.ALIAS, "y"));
    return new KernelProgram("p", bufs, List.of("x"), List.of("y"), List.of(), List.of(), List.of());
  }

  private static Expr load(String b) { return new Expr.Load(b, KType.F32, new Expr.Var("i", KType.INT)); }

  private static Stmt loop(int extent, Expr value, Stmt.Let... lets) {
    List<Stmt> body = new java.util.ArrayList<>(List.of(lets));
    body.add(new Stmt.Store("y", new Expr.Var("i", KType.INT), value));
    return new Stmt.For("i", extent, body);
  }

  private static Expr max(Expr a, double c) { return Expr.bin(BOp.MAX, a, Expr.f32(c)); }

  private static Expr min(Expr a, double c) { return Expr.bin(BOp.MIN, a, Expr.f32(c)); }

  @Test
  void takesClampsAndResidualAdds() {
    KernelProgram p = program();
    assertEquals(new FusedEpilogue(null, 0f, 6f), FusedEpilogue.match(p, CONV, loop(256, min(max(load("y"), 0), 6))));
    assertEquals(new FusedEpilogue(null, 0f, 6f), FusedEpilogue.match(p, CONV, loop(256, max(min(load("y"), 6), 0))));
    assertEquals(new FusedEpilogue(null, 0f, Float.POSITIVE_INFINITY), FusedEpilogue.match(p, CONV, loop(256, max(load("y"), 0))));
    Stmt.Let v = new Stmt.Let("v", load("y"), false), r = new Stmt.Let("s", Expr.bin(BOp.ADD, load("r"), new Expr.Var("v", KType.F32)), false);
    assertEquals(new FusedEpilogue("r", Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY),
        FusedEpilogue.match(p, CONV, loop(256, new Expr.Var("s", KType.F32), v, r)));
    assertEquals(new FusedEpilogue("r", 0f, Float.POSITIVE_INFINITY),
        FusedEpilogue.match(p, CONV, loop(256, max(Expr.bin(BOp.ADD, load("y"), load("r")), 0))));
  }

  @Test
  void leavesOtherLoops() {
    KernelProgram p = program();
    assertNull(FusedEpilogue.match(p, CONV, loop(255, max(load("y"), 0))), "extent is not numel(y)");
    assertNull(FusedEpilogue.match(p, CONV, loop(256, load("y"))), "a copy applies nothing");
    assertNull(FusedEpilogue.match(p, CONV, loop(256, Expr.bin(BOp.MUL, load("y"), Expr.f32(2)))), "another op");
    assertNull(FusedEpilogue.match(p, CONV, loop(256, min(max(load("y"), 6), 0))), "lo > hi");
    assertNull(FusedEpilogue.match(p, CONV, loop(256, max(max(load("y"), 0), 1))), "two lower bounds");
    assertNull(FusedEpilogue.match(p, CONV, loop(256, Expr.bin(BOp.ADD, load("y"), load("yv")))), "residual in y's storage");
    Expr shifted = new Expr.Load("y", KType.F32, Expr.add(new Expr.Var("i", KType.INT), Expr.i32(1)));
    assertNull(FusedEpilogue.match(p, CONV, loop(256, max(shifted, 0))), "another index");
    String old = System.getProperty("kiln.llvm.convClamp");
    System.setProperty("kiln.llvm.convClamp", "false");
    try {
      assertNull(FusedEpilogue.match(p, CONV, loop(256, max(load("y"), 0))), "switch off");
    } finally {
      if (old == null) System.clearProperty("kiln.llvm.convClamp");
      else System.setProperty("kiln.llvm.convClamp", old);
    }
  }

  @Test
  void compareAndSelectClampIsExactExceptForSignedZeroBounds() {
    assertTrue(new FusedEpilogue(null, 0f, 6f).gemmExact());
    assertTrue(new FusedEpilogue(null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY).gemmExact());
    assertTrue(new FusedEpilogue(null, -1f, -0f).gemmExact());
    assertFalse(new FusedEpilogue(null, -0f, 6f).gemmExact());
    assertFalse(new FusedEpilogue(null, -1f, 0f).gemmExact());
  }
}
