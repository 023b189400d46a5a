package dev.kiln.passes.lower;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Convolutions and matrix products become calls of the runtime's tuned primitives ({@code Conv2d.run/runNhwc},
 * {@code Gemm.sgemm}) writing the node's output buffer. Operands must be dense; a strided operand is first copied.
 * Biases are added by the primitive (conv) or by pre-filling C and calling GEMM with beta = 1 (linear, addmm).
 */
final class LinalgLowering {
  private LinalgLowering() {}

  static boolean handles(String op) {
    return switch (op) {
      case "nn.conv2d", "nn.linear", "nn.matmul", "nn.mm", "nn.bmm", "nn.addmm" -> true;
      default -> false;
    };
  }

  /** Emits the statements computing {@code n} into {@code out} (already defined). */
  static List<Stmt> lower(LowerContext c, Node n, View out) {
    for (Value v : n.operands()) if (LowerContext.bufferType(v) != KType.F32) throw new Unsupported(n.op().name() + " on non-f32 operands");
    return switch (n.op().name()) {
      case "nn.conv2d" -> conv(c, n, out);
      case "nn.linear" -> linear(c, n, out);
      case "nn.addmm" -> addmm(c, n, out);
      default -> matmul(c, c.view(n.operand(0)), c.view(n.operand(1)), out, 1f, 0f);
    };
  }

  private static List<Stmt> conv(LowerContext c, Node n, View y) {
    View x = c.view(n.operand(0)), w = c.view(n.operand(1));
    boolean nhwc = LowerContext.nhwc(n.result());
    if (LowerContext.nhwc(n.operand(0)) != nhwc) throw new Unsupported("conv2d between layouts");
    if (!w.isRowMajor()) throw new Unsupported("strided conv weight");
    long[] xs = x.shape(), ws = w.shape(), ys = y.shape();
    long[] st = pair(n.attrInts("stride")), pad = pair(n.attrInts("padding")), dil = pair(n.attrInts("dilation"));
    int[] p = {(int) xs[0], (int) xs[1], (int) xs[2], (int) xs[3], (int) ws[0], (int) ws[2], (int) ws[3], (int) st[0], (int) st[1],
        (int) pad[0], (int) pad[1], (int) dil[0], (int) dil[1], (int) n.attrInt("groups"), (int) ys[2], (int) ys[3]};
    WinogradLowering.Tile wino = WinogradLowering.choose(c, c.options.winograd(), p, w);
    if (wino != null) return WinogradLowering.lower(c, p, wino, x, w, n.numOperands() > 2 ? c.view(n.operand(2)) : null, y);
    List<Stmt> out = new ArrayList<>();
    String weight = nhwc ? nhwcWeight(c, w, out) : w.buffer();
    String bias = n.numOperands() > 2 ? c.view(n.operand(2)).buffer() : null;
    out.add(new Stmt.Conv(p, nhwc, x.buffer(), weight, bias, y.buffer()));
    return out;
  }

  /**
   * OIHW weights re-laid out as [oc][kh][kw][c/groups] for the channels-last kernel: once, when the model is made,
   * for a named weight; per run (statements added to {@code run}) for a weight computed by the graph.
   */
  private static String nhwcWeight(LowerContext c, View w, List<Stmt> run) {
    long[] s = w.shape();
    boolean once = c.buffers.get(w.buffer()).role() == KBuffer.Role.WEIGHT;
    String b = c.addBuffer(w.buffer() + "_ohwi", KType.F32, new long[] {s[0], s[2], s[3], s[1]}, once ? KBuffer.Role.CONST : KBuffer.Role.TEMP, null);
    View dst = View.dense(b, KType.F32, new long[] {s[0], s[2], s[3], s[1]}, false).permute(new int[] {0, 3, 1, 2});
    List<Stmt> body = c.nest(s, LowerContext.order(4, false), idx -> List.of(new Stmt.Store(b, dst.index(idx), w.load(idx))));
    if (once) c.init.add(new dev.kiln.ir.kernel.Kernel("init_" + b, Params.of(body), body, "channels-last weight of %" + w.buffer()));
    else run.addAll(body);
    return b;
  }

  private static long[] pair(long[] v) { return v.length == 1 ? new long[] {v[0], v[0]} : v; }

  // linear: y[M,N] = x[M,K] W[N,K]^T + b[N]; the bias pre-fills y so GEMM accumulates onto it (beta = 1).
  private static List<Stmt> linear(LowerContext c, Node n, View y) {
    View x = c.view(n.operand(0)), w = c.view(n.operand(1));
    List<Stmt> s = new ArrayList<>();
    float beta = 0;
    if (n.numOperands() > 2) {
      s.addAll(fill(c, c.view(n.operand(2)), y, 1f));
      beta = 1;
    }
    // At a few rows, W^T stored once beats reading W transposed on every call (WeightLayouts).
    boolean fewRows = x.numel() / Math.max(1, x.shape()[x.rank() - 1]) <= WeightLayouts.MAX_ROWS;
    View wt = fewRows && WeightLayouts.isWeight(c, w) ? WeightLayouts.transposed(c, w) : w.permute(new int[] {1, 0});
    s.addAll(matmul(c, x, wt, y, 1f, beta));
    return s;
  }

  // addmm: y = beta * input + alpha * (a @ b)
  private static List<Stmt> addmm(LowerContext c, Node n, View y) {
    List<Stmt> s = new ArrayList<>(fill(c, c.view(n.operand(0)), y, (float) n.attrFloat("beta")));
    s.addAll(matmul(c, c.view(n.operand(1)), c.view(n.operand(2)), y, (float) n.attrFloat("alpha"), 1f));
    return s;
  }

  /** y = scale * broadcast(src), as a loop over y. */
  private static List<Stmt> fill(LowerContext c, View src, View y, float scale) {
    View b = src.broadcastTo(y.shape());
    return c.nest(y.shape(), LowerContext.order(y.rank(), false), idx -> {
      Expr v = b.load(idx);
      if (scale != 1) v = Expr.bin(Expr.BOp.MUL, v, Expr.f32(scale));
      return List.of(new Stmt.Store(y.buffer(), y.index(idx), v));
    });
  }

  /**
   * C = alpha * A @ B + beta * C with NumPy matmul semantics: 1-D operands gain a dim, batch dims broadcast; each
   * operand's last two dims must be row-major or transposed (unit stride on either), batch dims any stride.
   */
  static List<Stmt> matmul(LowerContext c, View a, View b, View y, float alpha, float beta) {
    if (!y.isRowMajor()) throw new Unsupported("matmul into a strided output");
    if (a.rank() == 1) a = a.unsqueeze(0);
    if (b.rank() == 1) b = b.unsqueeze(1);
    int ra = a.rank(), rb = b.rank();
    long m = a.shape()[ra - 2], k = a.shape()[ra - 1], nn = b.shape()[rb - 1];
    long[] as = a.strides(), bs = b.strides();
    long[] la = ld(m, k, as[ra - 2], as[ra - 1]), lb = ld(k, nn, bs[rb - 2], bs[rb - 1]);
    boolean ta = la[0] == 1, tb = lb[0] == 1;
    int lda = (int) la[1], ldb = (int) lb[1];
    int rank = Math.max(ra, rb);
    long[] batch = new long[rank - 2];
    for (int d = 0; d < rank - 2; d++) {
      int da = d - (rank - ra), db = d - (rank - rb);
      long sa = da >= 0 ? a.shape()[da] : 1, sb = db >= 0 ? b.shape()[db] : 1;
      batch[d] = Math.max(sa, sb);
    }
    long mm = m;
    View fa = a, fb = b;
    // A product of a batched row-major A with a 2-D B folds A's batch into M: one GEMM call.
    if (rb == 2 && !ta && foldable(a)) {
      mm = m * prod(batch);
      lda = (int) k;
      batch = new long[0];
    }
    long[] yb = batch.clone();
    final long M = mm;
    final boolean TA = ta, TB = tb;
    final int LDA = lda, LDB = ldb;
    final View A = fa, B = fb;
    long yStrideBatch = M * nn;
    return c.nest(yb, LowerContext.order(yb.length, false), idx -> {
      Expr offA = Expr.i32(A.offset()), offB = Expr.i32(B.offset()), offC = Expr.i32(0);
      for (int d = 0; d < yb.length; d++) {
        int da = d - (yb.length - (A.rank() - 2)), db = d - (yb.length - (B.rank() - 2));
        if (da >= 0 && A.shape()[da] != 1) offA = Expr.add(offA, Expr.mul(idx[d], Expr.i32(A.strides()[da])));
        if (db >= 0 && B.shape()[db] != 1) offB = Expr.add(offB, Expr.mul(idx[d], Expr.i32(B.strides()[db])));
        long ys = yStrideBatch;
        for (int e = d + 1; e < yb.length; e++) ys *= yb[e];
        offC = Expr.add(offC, Expr.mul(idx[d], Expr.i32(ys)));
      }
      return List.of(new Stmt.Gemm(TA, TB, (int) M, (int) nn, (int) k, alpha, A.buffer(), offA, LDA, B.buffer(), offB, LDB,
          beta, y.buffer(), offC, (int) nn));
    });
  }

  /**
   * How GEMM reads a rows x cols matrix with strides (sr, sc): {transposed 0/1, leading dim}. Row-major when the
   * column stride is 1 (ld = row stride), transposed when the row stride is 1 (ld = column stride); a dim of size 1
   * fits any stride, and its ld is then the other size.
   */
  static long[] ld(long rows, long cols, long sr, long sc) {
    if (sc == 1 || cols == 1) return new long[] {0, rows == 1 ? Math.max(cols, 1) : Math.max(sr, 1)};
    if (sr == 1 || rows == 1) return new long[] {1, cols == 1 ? Math.max(rows, 1) : Math.max(sc, 1)};
    throw new Unsupported("matmul operand with no unit-stride inner dim");
  }

  /** True when A's batch and row dims are one row-major run (so they merge into M). */
  private static boolean foldable(View a) {
    return new View(a.buffer(), a.type(), a.shape(), a.strides(), 0).isRowMajor();
  }

  private static long prod(long[] s) {
    long p = 1;
    for (long x : s) p *= x;
    return p;
  }
}
