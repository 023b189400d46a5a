package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Float reductions {@code %acc := add(%acc, e)} and {@code %acc := max|min(%acc, e)} get the {@code reassoc}
 * fast-math flag on their last operation, so O3's loop vectorizer may keep several partial results in vector lanes
 * and combine them after the loop (layer_norm's mean and variance over a row, softmax's max and sum, mean and sum
 * reductions); under strict IEEE order it leaves them scalar. The order is then the vectorizer's (partial sums per
 * lane and unrolled copy, then a tree), fixed by the compiled code: deterministic, the same for any thread count
 * (no reduction is split over threads), and within float rounding of the sequential order. Nothing else is relaxed
 * (no {@code nnan}/{@code ninf}/{@code contract}: NaN and -0 behave as before). Off with
 * {@code -Dkiln.llvm.fastReductions=false} or {@code -Dkiln.llvm.fastOps=false}.
 */
final class ReductionFlags {
  private ReductionFlags() {}

  static boolean enabled() { return FastOps.on("fastReductions"); }

  /** Marks {@code v}, the emitted value of {@code a}, when {@code a} is such a float reduction step. */
  static void mark(Stmt.Assign a, LLVMValueRef v) {
    if (a.value().type() != KType.F32 || !(a.value() instanceof Expr.Binary b)) return;
    if (b.op() != Expr.BOp.ADD && b.op() != Expr.BOp.MAX && b.op() != Expr.BOp.MIN) return;
    if (!(b.a() instanceof Expr.Var x && x.name().equals(a.name())) && !(b.b() instanceof Expr.Var y && y.name().equals(a.name()))) return;
    if (LLVMIsAInstruction(v) != null && !LLVMIsAInstruction(v).isNull() && LLVMCanValueUseFastMathFlags(v) != 0)
      LLVMSetFastMathFlags(v, LLVMGetFastMathFlags(v) | LLVMFastMathAllowReassoc);
  }
}
