package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The epilogue loop the lowering puts after a convolution, when the convolution's own store can apply it so the loop
 * is not emitted: the GEMM of a {@link ConvExpansion#pointwiseBias} convolution in its last depth block
 * ({@code kiln_gemm_packedB_n_bias[_res]}: residual, lo, hi), or a channels-last depthwise convolution's expansion
 * before its only store ({@link ConvExpansion#depthwiseClamp}, clamp only):
 *
 * <pre>
 *   for %i in 0..numel(y) { [%r = load %res[%i]]; %v = load %y[%i]; ...lets...; store %y[%i], E }
 *   E := B | max(E', lo) | min(E', hi)        (at most one max and one min, constant f32 bounds, lo <= hi)
 *   B := %v | add(%v, %r) | add(%r, %v)       (%res a storage other than y's)
 * </pre>
 *
 * The fused store computes {@code minimum(maximum(v [+ r], lo), hi)} with the loop's own operations (fadd,
 * {@code llvm.maximum/minimum}; with lo <= hi both orders of max and min give the same value for every v, NaN
 * included, and an infinite bound is the identity), so the bits are the loop's. Anything else (another op, another
 * index, a residual in y's storage) stays a loop. Off with {@code -Dkiln.llvm.convClamp=false} (for measuring).
 *
 * @param residual the buffer added before the clamp, or null
 */
record FusedEpilogue(String residual, float lo, float hi) {
  /** Whether the fusion is on ({@code kiln.llvm.convClamp}, default true; read per compile). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.convClamp")); }

  /** The epilogue {@code next} applies to the output of {@code conv}, or null if it is not of that form. */
  static FusedEpilogue match(KernelProgram p, Stmt.Conv conv, Stmt next) {
    if (!enabled() || !(next instanceof Stmt.For f) || f.body().isEmpty()) return null;
    int[] q = conv.params();
    if (f.extent() != (long) q[0] * q[4] * q[14] * q[15]) return null;
    List<Stmt> body = f.body();
    if (!(body.getLast() instanceof Stmt.Store st) || !st.buffer().equals(conv.y()) || !isVar(st.index(), f.var())) return null;
    Map<String, Expr> lets = new HashMap<>();
    for (int i = 0; i < body.size() - 1; i++) {
      if (!(body.get(i) instanceof Stmt.Let l) || l.mutable()) return null;
      lets.put(l.name(), l.value());
    }
    Expr e = resolve(st.value(), lets);
    float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
    boolean haveLo = false, haveHi = false;
    while (e instanceof Expr.Binary b && (b.op() == Expr.BOp.MAX || b.op() == Expr.BOp.MIN)) {
      if (!(resolve(b.b(), lets) instanceof Expr.Const k) || k.type() != KType.F32) return null;
      if (b.op() == Expr.BOp.MAX) {
        if (haveLo) return null;
        haveLo = true;
        lo = (float) k.value();
      } else {
        if (haveHi) return null;
        haveHi = true;
        hi = (float) k.value();
      }
      e = resolve(b.a(), lets);
    }
    if (!(lo <= hi)) return null;
    String residual = null;
    if (!isY(e, conv.y(), f.var())) {
      if (!(e instanceof Expr.Binary add) || add.op() != Expr.BOp.ADD) return null;
      Expr l = resolve(add.a(), lets), r = resolve(add.b(), lets);
      Expr other = isY(l, conv.y(), f.var()) ? r : isY(r, conv.y(), f.var()) ? l : null;
      if (!(other instanceof Expr.Load ld) || ld.type() != KType.F32 || !isVar(ld.index(), f.var())) return null;
      KBuffer rs = p.storageOf(ld.buffer());
      if (rs.name().equals(p.storageOf(conv.y()).name()) || p.buffer(ld.buffer()).type() != KType.F32) return null;
      residual = ld.buffer();
    }
    if (residual == null && !haveLo && !haveHi) return null;
    return new FusedEpilogue(residual, lo, hi);
  }

  /**
   * Whether the GEMM's compare-and-select clamp gives exactly {@code llvm.maximum/minimum} for these bounds: lo is
   * not -0 and hi is not +0 (GemmMicroKernel); relu (lo = +0) and relu6 qualify.
   */
  boolean gemmExact() {
    return Float.floatToRawIntBits(lo) != Float.floatToRawIntBits(-0f) && Float.floatToRawIntBits(hi) != 0;
  }

  private static boolean isY(Expr e, String y, String var) {
    return e instanceof Expr.Load l && l.buffer().equals(y) && l.type() == KType.F32 && isVar(l.index(), var);
  }

  private static boolean isVar(Expr e, String var) { return e instanceof Expr.Var v && v.name().equals(var); }

  private static Expr resolve(Expr e, Map<String, Expr> lets) {
    for (int guard = 0; e instanceof Expr.Var v && lets.containsKey(v.name()) && guard < 64; guard++) e = lets.get(v.name());
    return e;
  }
}
