package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.ADD;
import static dev.kiln.ir.kernel.Expr.BOp.MUL;
import static dev.kiln.ir.kernel.Expr.BOp.SUB;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code nn.lstm} as GEMM calls and one fused gate loop per time step, all in one kernel. Per layer and
 * direction: {@code Gx = X W_ih^T + (b_ih + b_hh)} for all T*N rows at once (bias pre-filled, GEMM with beta = 1);
 * then for each step t (reversed for the backward direction) {@code Gh = h W_hh^T} (one small GEMM) and, per batch
 * row and hidden unit j, {@code i,f,g,o = Gx[row] + Gh} at quarters 0..3 (PyTorch's gate order),
 * {@code c = s(f) c + s(i) tanh(g)}, {@code h = s(o) tanh(c)}, h stored into the layer output at the row's time
 * position. The state lives in the h_n / c_n result buffers themselves (slot layer*dirs + dir, copied from h0 / c0
 * first), so the final state needs no copy. A layer's output, in x's own (batch-first or not) row order, is the
 * next layer's X; the last layer writes the op's output buffer.
 */
final class LstmLowering {
  private LstmLowering() {}

  static boolean handles(String op) { return op.equals("nn.lstm"); }

  static void lower(LowerContext c, Node n) {
    for (Value v : n.operands()) if (LowerContext.bufferType(v) != KType.F32) throw new Unsupported("lstm on non-f32 operands");
    int layers = (int) n.attrInt("num_layers"), dirs = n.attrBool("bidirectional") ? 2 : 1, per = n.attrBool("has_biases") ? 4 : 2;
    boolean bf = n.attrBool("batch_first");
    View x = dense(c, n, c.view(n.operand(0)));
    View h0 = c.view(n.operand(1)), c0 = c.view(n.operand(2));
    int steps = (int) x.shape()[bf ? 1 : 0], batch = (int) x.shape()[bf ? 0 : 1], hidden = (int) h0.shape()[2];
    int rows = steps * batch, g4 = 4 * hidden;
    View out = c.define(n.result(0)), hn = c.define(n.result(1)), cn = c.define(n.result(2));
    List<Stmt> body = new ArrayList<>();
    body.addAll(c.nest(hn.shape(), LowerContext.order(3, false), idx -> List.of(
        new Stmt.Store(hn.buffer(), hn.index(idx), h0.load(idx)), new Stmt.Store(cn.buffer(), cn.index(idx), c0.load(idx)))));
    String gx = c.addBuffer("lstm_gx", KType.F32, new long[] {rows, g4}, KBuffer.Role.TEMP, null);
    String gh = c.addBuffer("lstm_gh", KType.F32, new long[] {batch, g4}, KBuffer.Role.TEMP, null);
    String in = x.buffer();
    int features = (int) x.shape()[2];
    for (int l = 0; l < layers; l++) {
      String lout = l == layers - 1 ? out.buffer()
          : c.addBuffer("lstm_l" + l, KType.F32, new long[] {rows, (long) dirs * hidden}, KBuffer.Role.TEMP, null);
      for (int d = 0; d < dirs; d++) {
        int base = 3 + (l * dirs + d) * per;
        View wih = weight(c, n, base, g4, features), whh = weight(c, n, base + 1, g4, hidden);
        if (per == 4) {
          View bih = weight(c, n, base + 2, g4, 1), bhh = weight(c, n, base + 3, g4, 1);
          body.addAll(c.nest(new long[] {rows, g4}, new int[] {0, 1}, idx -> List.of(new Stmt.Store(gx,
              Expr.add(Expr.mul(idx[0], Expr.i32(g4)), idx[1]), Expr.bin(ADD, bih.load(new Expr[] {idx[1]}), bhh.load(new Expr[] {idx[1]}))))));
        }
        body.add(gemmW(c, rows, g4, features, in, 0, wih, per == 4 ? 1f : 0f, gx));
        int slot = (l * dirs + d) * batch * hidden;
        String s = c.freshVar("t");
        Expr t = d == 0 ? new Expr.Var(s, KType.INT) : Expr.bin(SUB, Expr.i32(steps - 1), new Expr.Var(s, KType.INT));
        List<Stmt> step = new ArrayList<>();
        step.add(gemmW(c, batch, g4, hidden, hn.buffer(), slot, whh, 0f, gh));
        step.addAll(gates(c, t, bf, steps, batch, hidden, gx, gh, hn.buffer(), cn.buffer(), slot, lout, dirs, d));
        body.add(new Stmt.For(s, steps, step));
      }
      in = lout;
      features = dirs * hidden;
    }
    c.emit(n.describe(), "lstm", body);
  }

  /** Per batch row b and unit j: the four gates, the new c and h (into the state slot and the layer output). */
  private static List<Stmt> gates(LowerContext c, Expr t, boolean bf, int steps, int batch, int hidden, String gx, String gh,
      String hn, String cn, int slot, String lout, int dirs, int d) {
    int g4 = 4 * hidden;
    return c.nest(new long[] {batch, hidden}, new int[] {0, 1}, idx -> {
      Expr b = idx[0], j = idx[1];
      // the row of (t, b) in x's storage order: [N,T,*] when batch-first, else [T,N,*]
      Expr row = bf ? Expr.add(Expr.mul(b, Expr.i32(steps)), t) : Expr.add(Expr.mul(t, Expr.i32(batch)), b);
      List<Stmt> st = new ArrayList<>();
      String[] q = new String[4];
      for (int k = 0; k < 4; k++) {
        Expr col = Expr.add(j, Expr.i32((long) k * hidden));
        Expr pre = Expr.bin(ADD, new Expr.Load(gx, KType.F32, Expr.add(Expr.mul(row, Expr.i32(g4)), col)),
            new Expr.Load(gh, KType.F32, Expr.add(Expr.mul(b, Expr.i32(g4)), col)));
        q[k] = c.freshVar("gate");
        st.add(new Stmt.Let(q[k], k == 2 ? tanh(pre) : ScalarOps.sigmoid(pre), false));
      }
      Expr state = Expr.add(Expr.i32(slot), Expr.add(Expr.mul(b, Expr.i32(hidden)), j));
      String cv = c.freshVar("c"), hv = c.freshVar("h");
      Expr cNew = Expr.bin(ADD, Expr.bin(MUL, var(q[1]), new Expr.Load(cn, KType.F32, state)), Expr.bin(MUL, var(q[0]), var(q[2])));
      st.add(new Stmt.Let(cv, cNew, false));
      st.add(new Stmt.Let(hv, Expr.bin(MUL, var(q[3]), tanh(var(cv))), false));
      st.add(new Stmt.Store(cn, state, var(cv)));
      st.add(new Stmt.Store(hn, state, var(hv)));
      st.add(new Stmt.Store(lout, Expr.add(Expr.mul(row, Expr.i32((long) dirs * hidden)), Expr.add(j, Expr.i32((long) d * hidden))), var(hv)));
      return st;
    });
  }

  /**
   * {@code C[m,n] = A[m,k] W^T + beta C} for a row-major weight W [n,k]: from W^T laid out once (WeightLayouts) when
   * m is small and W is a named weight, else reading W transposed.
   */
  private static Stmt gemmW(LowerContext c, int m, int n, int k, String a, int offA, View w, float beta, String out) {
    if (m <= WeightLayouts.MAX_ROWS && WeightLayouts.isWeight(c, w)) {
      View wt = WeightLayouts.transposed(c, w);
      return new Stmt.Gemm(false, false, m, n, k, 1f, a, Expr.i32(offA), k, wt.buffer(), Expr.i32(0), n, beta, out, Expr.i32(0), n);
    }
    return new Stmt.Gemm(false, true, m, n, k, 1f, a, Expr.i32(offA), k, w.buffer(), Expr.i32(0), k, beta, out, Expr.i32(0), n);
  }

  /**
   * tanh(x) = 2 sigmoid(2x) - 1 = 2 / (1 + e^(-2x)) - 1: one exp (an intrinsic, about 5 ns here) instead of
   * Math.tanh (about 12 ns), and the gate loop is all exps. Absolute error stays near float rounding (1e-7); at
   * |x| large e^(-2x) goes to 0 or infinity and the result to exactly 1 or -1.
   */
  private static Expr tanh(Expr x) {
    Expr e = new Expr.Unary(Expr.UOp.EXP, Expr.bin(MUL, x, Expr.f32(-2)));
    return Expr.bin(SUB, Expr.bin(Expr.BOp.DIV, Expr.f32(2), Expr.bin(ADD, Expr.f32(1), e)), Expr.f32(1));
  }

  private static Expr var(String name) { return new Expr.Var(name, KType.F32); }

  /** Weight operand {@code i}: a row-major rows x cols (or [rows] when cols is 1) tensor. */
  private static View weight(LowerContext c, Node n, int i, int rows, int cols) {
    View w = c.view(n.operand(i));
    if (w.numel() != (long) rows * cols) throw new Unsupported("lstm weight operand " + i + " has " + w.numel() + " elements, expected " + rows * cols);
    return cols == 1 ? w : dense(c, n, w);
  }

  /** {@code v} itself when row-major, else a row-major copy (GEMM reads whole rows). */
  private static View dense(LowerContext c, Node n, View v) {
    if (v.isRowMajor()) return v;
    View d = View.dense(c.addBuffer(v.buffer() + "_rm", v.type(), v.shape(), KBuffer.Role.TEMP, null), v.type(), v.shape(), false);
    MovementLowering.copy(c, n, v, d);
    return d;
  }
}
