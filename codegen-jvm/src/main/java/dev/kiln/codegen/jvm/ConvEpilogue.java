package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Recognizes the epilogue loop that lowering puts after a channels-last convolution (the rest of a
 * {@code fused "conv2d+epilogue"} group) when it is one of the forms the conv primitive applies itself, so the
 * emitter passes it to {@code Conv2d.runNhwc(..., residual, lo, hi)} and drops the loop (one pass over y fewer, and
 * no interpreted loop in a model's first call):
 *
 * <pre>
 *   for %i in 0..numel(y) { [%r = load %res[%i]]; %v = load %y[%i]; ...; store %y[%i], E }
 *   E := B | max(E', lo) | min(E', hi)        (at most one max and one min, constant bounds, lo <= hi)
 *   B := %v | add(%v, %r) | add(%r, %v)
 * </pre>
 *
 * <p>so y = max(min(y + res, hi), lo). min(max(B, lo), hi) is the same function when lo <= hi (both propagate NaN).
 * Anything else (another op, another index, a residual sharing y's array) is left as a loop.
 */
record ConvEpilogue(String residual, float lo, float hi) {

  /**
   * The epilogue {@code next} applies to the output of {@code conv}, or null if it is not one of the forms above.
   * {@code storage} maps a buffer name to its storage's name (aliases share one array).
   */
  static ConvEpilogue match(Stmt.Conv conv, Stmt next, Function<String, String> storage) {
    if (!conv.nhwc() || !(next instanceof Stmt.For f)) return null;
    int[] p = conv.params();
    long numel = (long) p[0] * p[4] * p[14] * p[15];
    if (f.extent() != numel) return null;
    List<Stmt> body = f.body();
    if (body.isEmpty() || !(body.get(body.size() - 1) instanceof Stmt.Store st)) return null;
    if (!st.buffer().equals(conv.y()) || !isVar(st.index(), f.var())) return null;
    Map<String, Expr> lets = new HashMap<>();
    for (int i = 0; i < body.size() - 1; i++) {
      if (!(body.get(i) instanceof Stmt.Let l) || l.mutable()) return null;
      lets.put(l.name(), l.value());
    }
    Matcher m = new Matcher(conv.y(), f.var(), lets);
    Expr e = m.resolve(st.value());
    float lo = Float.NEGATIVE_INFINITY, hi = Float.POSITIVE_INFINITY;
    boolean haveLo = false, haveHi = false;
    while (e instanceof Expr.Binary b && (b.op() == Expr.BOp.MAX || b.op() == Expr.BOp.MIN)) {
      Expr bound = m.resolve(b.b());
      if (!(bound instanceof Expr.Const k) || k.type() != KType.F32) return null;
      if (b.op() == Expr.BOp.MAX) {
        if (haveLo) return null;
        haveLo = true;
        lo = (float) k.value();
      } else {
        if (haveHi) return null;
        haveHi = true;
        hi = (float) k.value();
      }
      e = m.resolve(b.a());
    }
    if (!(lo <= hi)) return null;
    String residual = null;
    if (!m.isY(e)) {
      if (!(e instanceof Expr.Binary add) || add.op() != Expr.BOp.ADD) return null;
      Expr l = m.resolve(add.a()), r = m.resolve(add.b());
      Expr other = m.isY(l) ? r : m.isY(r) ? l : null;
      if (!(other instanceof Expr.Load ld) || ld.type() != KType.F32 || !isVar(ld.index(), f.var())) return null;
      if (storage.apply(ld.buffer()).equals(storage.apply(conv.y()))) return null;
      residual = ld.buffer();
    }
    if (residual == null && !haveLo && !haveHi) return null;
    return new ConvEpilogue(residual, lo, hi);
  }

  private static boolean isVar(Expr e, String var) { return e instanceof Expr.Var v && v.name().equals(var); }

  /** Follows let-bound variables and recognizes loads of y at the loop index. */
  private record Matcher(String y, String var, Map<String, Expr> lets) {
    Expr resolve(Expr e) {
      for (int guard = 0; e instanceof Expr.Var v && lets.containsKey(v.name()) && guard < 64; guard++) e = lets.get(v.name());
      return e;
    }

    boolean isY(Expr e) { return e instanceof Expr.Load l && l.buffer().equals(y) && isVar(l.index(), var); }
  }
}
