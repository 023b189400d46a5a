package dev.kiln.codegen.llvm.backend;

import static dev.kiln.ir.kernel.Expr.add;
import static dev.kiln.ir.kernel.Expr.i32;
import static dev.kiln.ir.kernel.Expr.mul;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dependence test that decides which loops run split over threads: splits only loops whose iterations touch disjoint elements. */
class ThreadSplitTest {
  private static final KernelProgram P = program();

  private static KernelProgram program() {
    Map<String, KBuffer> b = new LinkedHashMap<>();
    b.put("x", new KBuffer("x", KType.F32, new long[] {64, 64}, KBuffer.Role.INPUT, "0"));
    b.put("y", new KBuffer("y", KType.F32, new long[] {64, 64}, KBuffer.Role.TEMP, null));
    b.put("v", new KBuffer("v", KType.F32, new long[] {36, 14, 8}, KBuffer.Role.TEMP, null));
    return new KernelProgram("p", b, List.of("x"), List.of("y"), List.of(), List.of(), List.of());
  }

  private static Expr v(String n) { return new Expr.Var(n, KType.INT); }

  private static Expr x(Expr i) { return new Expr.Load("x", KType.F32, i); }

  private static Stmt.For loop(String var, int extent, Stmt... body) { return new Stmt.For(var, extent, List.of(body)); }

  @Test
  void rowsOfAnElementwiseNestAreIndependent() {
    Expr idx = add(mul(v("i"), i32(64)), v("j"));
    assertTrue(ThreadSplit.parallel(P, loop("i", 64, loop("j", 64, new Stmt.Store("y", idx, x(idx))))));
  }

  @Test
  void aReductionIntoOneElementIsNotSplit() {
    Expr y0 = i32(0);
    Stmt acc = new Stmt.Store("y", y0, Expr.bin(Expr.BOp.ADD, new Expr.Load("y", KType.F32, y0), x(v("i"))));
    assertFalse(ThreadSplit.parallel(P, loop("i", 64, acc)));
  }

  @Test
  void aLoopCarriedReadOfTheNeighbourIsNotSplit() {
    Stmt s = new Stmt.Store("y", add(v("i"), i32(1)), new Expr.Load("y", KType.F32, v("i")));
    assertFalse(ThreadSplit.parallel(P, loop("i", 63, s)));
  }

  @Test
  void overlappingWindowsAreNotSplit() {
    // row i writes y[i*8 .. i*8+15]: neighbours overlap by 8
    Expr idx = add(mul(v("i"), i32(8)), v("j"));
    assertFalse(ThreadSplit.parallel(P, loop("i", 64, loop("j", 16, new Stmt.Store("y", idx, x(idx))))));
  }

  @Test
  void planesFarApartWrittenByOneLoopAreIndependent() {
    // Winograd's input transform: v[p][tile][c] for p = 0 and 35, tile row t covers tiles t*2 .. t*2+1
    Stmt.Store[] s = new Stmt.Store[2];
    int[] planes = {0, 35};
    for (int k = 0; k < 2; k++)
      s[k] = new Stmt.Store("v", add(add(i32(planes[k] * 14 * 8L), mul(add(mul(v("t"), i32(2)), v("u")), i32(8))), v("c")), x(v("c")));
    assertTrue(ThreadSplit.parallel(P, loop("t", 7, loop("u", 2, loop("c", 8, s[0], s[1])))));
  }

  @Test
  void anOuterAccumulatorMakesTheLoopSerial() {
    Stmt assign = new Stmt.Assign("acc", x(v("i")));
    assertFalse(ThreadSplit.parallel(P, loop("i", 64, assign, new Stmt.Store("y", v("i"), new Expr.Var("acc", KType.F32)))));
  }

  @Test
  void im2colRowsMatchTheGemmRows() {
    // col[(oy*8 + ox)*9 + k] for oy < 8, ox < 8, k < 9; the GEMM reads col as 64 x 9, so each oy fills 8 rows
    Expr colIdx = add(mul(add(mul(v("oy"), i32(8)), v("ox")), i32(9)), v("k"));
    Stmt.For fill = loop("oy", 8, loop("ox", 8, loop("k", 9, new Stmt.Store(ConvExpansion.COL, colIdx, x(v("k"))))));
    Stmt.Gemm g = new Stmt.Gemm(false, true, 64, 64, 9, 1f, ConvExpansion.COL, i32(0), 9, "x", i32(0), 9, 1f, "y", i32(0), 64);
    assertEquals(8, ThreadSplit.rowsPerIteration(P, fill, g));
    Expr shifted = add(colIdx, i32(9));
    Stmt.For off = loop("oy", 8, loop("ox", 8, loop("k", 9, new Stmt.Store(ConvExpansion.COL, shifted, x(v("k"))))));
    assertEquals(0, ThreadSplit.rowsPerIteration(P, off, g));
  }
}
