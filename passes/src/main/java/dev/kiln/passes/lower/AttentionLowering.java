package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.ADD;
import static dev.kiln.ir.kernel.Expr.BOp.DIV;
import static dev.kiln.ir.kernel.Expr.BOp.GT;
import static dev.kiln.ir.kernel.Expr.BOp.MAX;
import static dev.kiln.ir.kernel.Expr.BOp.SUB;

import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code nn.attention} as two GEMM calls per batch element (all leading dims, e.g. batch * head) around a fused
 * softmax loop: {@code S = scale * Q K^T} (GEMM with alpha = scale, K read transposed through its strides), then
 * per row of S one loop that applies the mask ({@code select(m, s, -inf)} for bool, {@code s + m} for float, and
 * {@code select(j > i, -inf, s)} when causal) and takes the max, one that stores {@code e^(s - max)} and sums it,
 * one that divides by the sum (max-subtracted, so exp never overflows), then {@code O = P V}. Q, K and V are read
 * through their views (any strides with a unit-stride inner dim, broadcast batch dims as stride 0): the heads of
 * a chunked in-projection are addressed in place, not copied. The scores live in a [batch..., L, S] temp.
 */
final class AttentionLowering {
  private AttentionLowering() {}

  static boolean handles(String op) { return op.equals("nn.attention"); }

  static void lower(LowerContext c, Node n) {
    View q0 = c.view(n.operand(0)), k0 = c.view(n.operand(1)), v0 = c.view(n.operand(2));
    View mask0 = NormLowering.optional(c, n, 3);
    if (q0.type() != KType.F32 || k0.type() != KType.F32 || v0.type() != KType.F32) throw new Unsupported("attention on non-f32");
    int r = q0.rank();
    long lq = q0.shape()[r - 2], e = q0.shape()[r - 1], s = k0.shape()[r - 2], ev = v0.shape()[r - 1];
    long[] batch = broadcast(broadcast(Arrays.copyOf(q0.shape(), r - 2), Arrays.copyOf(k0.shape(), r - 2)), Arrays.copyOf(v0.shape(), r - 2));
    View q = q0.broadcastTo(concat(batch, lq, e)), k = k0.broadcastTo(concat(batch, s, e)), v = v0.broadcastTo(concat(batch, s, ev));
    View mask = mask0 == null ? null : mask0.broadcastTo(concat(batch, lq, s));
    boolean boolMask = mask != null && mask.type() == KType.BOOL;
    if (mask != null && !boolMask && mask.type() != KType.F32) throw new Unsupported("attention mask of " + mask.type());
    float scale = (float) (n.attrIsNone("scale") ? 1 / Math.sqrt(e) : n.attrFloat("scale"));
    boolean causal = n.attrBool("causal");
    if (LowerContext.nhwc(n.result()) || LowerContext.bufferType(n.result()) != KType.F32) throw new Unsupported("attention result is not row-major f32");
    View transposed = transposedOutput(c, n);
    View out = transposed != null ? transposed : c.define(n.result());
    long[] sShape = concat(batch, lq, s);
    View scores = View.dense(c.addBuffer(n.result().name() == null ? "scores" : n.result().name() + "_scores", KType.F32, sShape, KBuffer.Role.TEMP, null),
        KType.F32, sShape, false);
    // op(A) = Q[b] (L x E); op(B) = K[b]^T (E x S), i.e. K's storage read with its two strides swapped; P V likewise.
    long[] la = LinalgLowering.ld(lq, e, q.strides()[r - 2], q.strides()[r - 1]);
    long[] lb = LinalgLowering.ld(e, s, k.strides()[r - 1], k.strides()[r - 2]);
    long[] lv = LinalgLowering.ld(s, ev, v.strides()[r - 2], v.strides()[r - 1]);
    List<Stmt> body = c.nest(batch, LowerContext.order(batch.length, false), ib -> {
      List<Stmt> st = new ArrayList<>();
      Expr offS = offset(scores, ib), offO = offset(out, ib);
      st.add(new Stmt.Gemm(la[0] == 1, lb[0] == 1, (int) lq, (int) s, (int) e, scale, q.buffer(), offset(q, ib), (int) la[1],
          k.buffer(), offset(k, ib), (int) lb[1], 0f, scores.buffer(), offS, (int) s));
      st.add(softmaxRows(c, scores, mask, boolMask, causal, ib, (int) lq, (int) s));
      st.add(new Stmt.Gemm(false, lv[0] == 1, (int) lq, (int) ev, (int) s, 1f, scores.buffer(), offS, (int) s,
          v.buffer(), offset(v, ib), (int) lv[1], 0f, out.buffer(), offO, (int) out.strides()[r - 2]));
      return st;
    });
    c.emit(n.describe(), "attention", body);
  }

  /**
   * When the only use of the result swaps its dims -3 and -2 (heads and positions, [B,H,L,E] to [B,L,H,E], before
   * the heads are merged), the result is written straight into a buffer of the swapped shape (GEMM's ldc = H*E),
   * bound as the swapped-back view; the transpose then finds row-major data and copies nothing. Else null.
   */
  private static View transposedOutput(LowerContext c, Node n) {
    var uses = n.result().uses();
    int r = LowerContext.bufferType(n.result()) == null ? 0 : ((dev.kiln.ir.TensorType) n.result().type()).rank();
    if (uses.size() != 1 || r < 3 || !uses.getFirst().user().op().name().equals("nn.transpose")) return null;
    Node t = uses.getFirst().user();
    int a = MovementLowering.dim(t.attrInt("dim0"), r), b = MovementLowering.dim(t.attrInt("dim1"), r);
    if (Math.min(a, b) != r - 3 || Math.max(a, b) != r - 2) return null;
    long[] shape = ((dev.kiln.ir.TensorType) n.result().type()).shape().sizes();
    int[] swap = LowerContext.order(r, false);
    swap[r - 3] = r - 2;
    swap[r - 2] = r - 3;
    View logical = new View(null, KType.F32, shape, new long[r], 0).permute(swap);
    String buf = c.addBuffer(n.result().name() == null ? "attn_t" : n.result().name() + "_t", KType.F32, logical.shape(), KBuffer.Role.TEMP, null);
    View out = View.dense(buf, KType.F32, logical.shape(), false).permute(swap);
    c.bind(n.result(), out);
    return out;
  }

  /** for i: max over masked scores (stored back), exp(s - max) with its sum, then divide by the sum. */
  private static Stmt softmaxRows(LowerContext c, View scores, View mask, boolean boolMask, boolean causal, Expr[] ib, int lq, int s) {
    String i = c.freshVar("i"), mx = c.freshVar("max"), sm = c.freshVar("sum"), rcp = c.freshVar("inv");
    String j1 = c.freshVar("j"), j2 = c.freshVar("j"), j3 = c.freshVar("j");
    Expr iv = new Expr.Var(i, KType.INT), m = new Expr.Var(mx, KType.F32), sum = new Expr.Var(sm, KType.F32);
    Expr ninf = Expr.f32(Double.NEGATIVE_INFINITY);
    List<Stmt> row = new ArrayList<>();
    row.add(new Stmt.Let(mx, ninf, true));
    {
      Expr[] at = at(ib, iv, new Expr.Var(j1, KType.INT));
      Expr sc = scores.load(at);
      if (mask != null) sc = boolMask ? new Expr.Select(mask.load(at), sc, ninf) : Expr.bin(ADD, sc, mask.load(at));
      if (causal) sc = new Expr.Select(Expr.bin(GT, new Expr.Var(j1, KType.INT), iv), ninf, sc);
      List<Stmt> b1 = new ArrayList<>();
      if (mask != null || causal) {
        String sv = c.freshVar("s");
        b1.add(new Stmt.Let(sv, sc, false));
        b1.add(new Stmt.Store(scores.buffer(), scores.index(at), new Expr.Var(sv, KType.F32)));
        sc = new Expr.Var(sv, KType.F32);
      }
      b1.add(new Stmt.Assign(mx, Expr.bin(MAX, m, sc)));
      row.add(new Stmt.For(j1, s, b1));
    }
    row.add(new Stmt.Let(sm, Expr.f32(0), true));
    {
      Expr[] at = at(ib, iv, new Expr.Var(j2, KType.INT));
      String ex = c.freshVar("e");
      Expr exv = new Expr.Var(ex, KType.F32);
      row.add(new Stmt.For(j2, s, List.of(new Stmt.Let(ex, new Expr.Unary(Expr.UOp.EXP, Expr.bin(SUB, scores.load(at), m)), false),
          new Stmt.Store(scores.buffer(), scores.index(at), exv), new Stmt.Assign(sm, Expr.bin(ADD, sum, exv)))));
    }
    row.add(new Stmt.Let(rcp, Expr.bin(DIV, Expr.f32(1), sum), false));
    {
      Expr[] at = at(ib, iv, new Expr.Var(j3, KType.INT));
      row.add(new Stmt.For(j3, s, List.of(new Stmt.Store(scores.buffer(), scores.index(at),
          Expr.bin(Expr.BOp.MUL, scores.load(at), new Expr.Var(rcp, KType.F32))))));
    }
    return new Stmt.For(i, lq, row);
  }

  private static Expr[] at(Expr[] ib, Expr i, Expr j) {
    Expr[] idx = Arrays.copyOf(ib, ib.length + 2);
    idx[ib.length] = i;
    idx[ib.length + 1] = j;
    return idx;
  }

  /** The flat offset of batch element {@code ib} (the matrix's first element) in view {@code v}. */
  private static Expr offset(View v, Expr[] ib) {
    Expr[] idx = Arrays.copyOf(ib, ib.length + 2);
    idx[ib.length] = Expr.i32(0);
    idx[ib.length + 1] = Expr.i32(0);
    return v.index(idx);
  }

  private static long[] concat(long[] batch, long a, long b) {
    long[] s = Arrays.copyOf(batch, batch.length + 2);
    s[batch.length] = a;
    s[batch.length + 1] = b;
    return s;
  }

  private static long[] broadcast(long[] a, long[] b) {
    if (a.length != b.length) throw new Unsupported("attention operands of different ranks");
    long[] o = new long[a.length];
    for (int d = 0; d < a.length; d++) {
      if (a[d] != b[d] && a[d] != 1 && b[d] != 1) throw new Unsupported("batch dims " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
      o[d] = Math.max(a[d], b[d]);
    }
    return o;
  }
}
