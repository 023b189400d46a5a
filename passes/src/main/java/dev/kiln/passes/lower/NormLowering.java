package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.ADD;
import static dev.kiln.ir.kernel.Expr.BOp.DIV;
import static dev.kiln.ir.kernel.Expr.BOp.MUL;
import static dev.kiln.ir.kernel.Expr.BOp.SUB;

import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code layer_norm} as a loop nest: outer loops over the leading dims, then three passes over the normalized
 * (trailing) dims: {@code mean = sum x / n}, {@code var = sum (x - mean)^2 / n} (two-pass, so no cancellation of
 * {@code E[x^2] - mean^2}), and {@code y = (x - mean) * (1 / sqrt(var + eps)) * w + b}. Accumulators are f32 (Kernel
 * IR has no f64); for the row lengths of real models (hundreds) that stays well inside 1e-5 relative.
 */
final class NormLowering {
  private NormLowering() {}

  static boolean handles(String op) { return op.equals("nn.layer_norm"); }

  static void lower(LowerContext c, Node n) {
    View x = c.view(n.operand(0));
    if (x.type() != KType.F32 || LowerContext.nhwc(n.operand(0))) throw new Unsupported("layer_norm of a non-f32 or channels-last value");
    long[] ns = n.attrInts("normalized_shape");
    int r = x.rank(), k = ns.length, lead = r - k;
    View w = optional(c, n, 1), b = optional(c, n, 2);
    View out = c.define(n.result());
    if (out.type() != KType.F32 || LowerContext.nhwc(n.result())) throw new Unsupported("layer_norm result is not row-major f32");
    long[] outer = Arrays.copyOf(x.shape(), lead), inner = Arrays.copyOfRange(x.shape(), lead, r);
    long count = 1;
    for (long s : inner) count *= s;
    final float inv = 1f / count;
    final float eps = (float) n.attrFloat("eps");
    List<Stmt> body = c.nest(outer, LowerContext.order(lead, false), io -> {
      String sum = c.freshVar("sum"), mean = c.freshVar("mean"), sq = c.freshVar("sq"), rstd = c.freshVar("rstd");
      Expr meanV = new Expr.Var(mean, KType.F32), rstdV = new Expr.Var(rstd, KType.F32);
      List<Stmt> s = new ArrayList<>();
      s.add(new Stmt.Let(sum, Expr.f32(0), true));
      s.addAll(c.nest(inner, LowerContext.order(k, false), ii -> List.of(
          new Stmt.Assign(sum, Expr.bin(ADD, new Expr.Var(sum, KType.F32), x.load(join(io, ii)))))));
      s.add(new Stmt.Let(mean, Expr.bin(MUL, new Expr.Var(sum, KType.F32), Expr.f32(inv)), false));
      s.add(new Stmt.Let(sq, Expr.f32(0), true));
      s.addAll(c.nest(inner, LowerContext.order(k, false), ii -> {
        String dv = c.freshVar("d");
        Expr d = new Expr.Var(dv, KType.F32);
        return List.of(new Stmt.Let(dv, Expr.bin(SUB, x.load(join(io, ii)), meanV), false),
            new Stmt.Assign(sq, Expr.bin(ADD, new Expr.Var(sq, KType.F32), Expr.bin(MUL, d, d))));
      }));
      Expr var = Expr.bin(MUL, new Expr.Var(sq, KType.F32), Expr.f32(inv));
      s.add(new Stmt.Let(rstd, Expr.bin(DIV, Expr.f32(1), new Expr.Unary(Expr.UOp.SQRT, Expr.bin(ADD, var, Expr.f32(eps)))), false));
      s.addAll(c.nest(inner, LowerContext.order(k, false), ii -> {
        Expr y = Expr.bin(MUL, Expr.bin(SUB, x.load(join(io, ii)), meanV), rstdV);
        if (w != null) y = Expr.bin(MUL, y, w.load(ii));
        if (b != null) y = Expr.bin(ADD, y, b.load(ii));
        return List.of(new Stmt.Store(out.buffer(), out.index(join(io, ii)), y));
      }));
      return s;
    });
    c.emit(n.describe(), "layer_norm", body);
  }

  /** Operand {@code i} when present and a tensor (an absent optional operand is missing or a none value), else null. */
  static View optional(LowerContext c, Node n, int i) {
    if (i >= n.numOperands() || !(n.operand(i).type() instanceof dev.kiln.ir.TensorType)) return null;
    return c.view(n.operand(i));
  }

  private static Expr[] join(Expr[] a, Expr[] b) {
    Expr[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
