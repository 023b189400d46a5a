package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.*;

import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * 2-D pooling as loops over the output (in its storage order) with the window innermost. Out-of-range window
 * positions (padding, ragged adaptive windows) are masked with a select, and the load index is clamped into the
 * input so that it stays in bounds: branch-free code, as C2 likes it.
 */
final class PoolLowering {
  private PoolLowering() {}

  static void lower(LowerContext c, Node n, View x) {
    if (x.rank() != 4 || x.type() != KType.F32) throw new Unsupported("pooling needs a 4-D f32 input");
    View out = c.define(n.result());
    long[] xs = x.shape(), ys = out.shape();
    int H = (int) xs[2], W = (int) xs[3];
    String op = n.op().name();
    boolean nhwc = LowerContext.nhwc(n.result());
    List<Stmt> body = c.nest(ys, LowerContext.order(4, nhwc), o -> switch (op) {
      case "nn.adaptive_avg_pool2d" -> adaptive(c, x, out, o, H, W, (int) ys[2], (int) ys[3]);
      default -> window(c, n, x, out, o, H, W, op.equals("nn.max_pool2d"));
    });
    c.emit(n.describe(), op, body);
  }

  private static List<Stmt> window(LowerContext c, Node n, View x, View out, Expr[] o, int H, int W, boolean max) {
    long[] k = pair(n.attrInts("kernel_size")), st = n.attrInts("stride").length == 0 ? k : pair(n.attrInts("stride"));
    long[] pad = pair(n.attrInts("padding")), dil = max ? pair(n.attrInts("dilation")) : new long[] {1, 1};
    String acc = c.freshVar("acc"), kh = c.freshVar("kh"), kw = c.freshVar("kw");
    Expr a = new Expr.Var(acc, KType.F32);
    // window origin: oh*stride - pad
    Expr h0 = Expr.add(Expr.mul(o[2], Expr.i32(st[0])), Expr.i32(-pad[0])), w0 = Expr.add(Expr.mul(o[3], Expr.i32(st[1])), Expr.i32(-pad[1]));
    Expr ih = Expr.add(h0, Expr.mul(new Expr.Var(kh, KType.INT), Expr.i32(dil[0])));
    Expr iw = Expr.add(w0, Expr.mul(new Expr.Var(kw, KType.INT), Expr.i32(dil[1])));
    List<Stmt> s = new ArrayList<>();
    s.add(new Stmt.Let(acc, Expr.f32(max ? Double.NEGATIVE_INFINITY : 0), true));
    List<Stmt> inner = new ArrayList<>();
    Expr ihv = local(c, inner, ih), iwv = local(c, inner, iw);
    Expr valid = Expr.bin(AND, Expr.bin(AND, Expr.bin(GE, ihv, Expr.i32(0)), Expr.bin(LT, ihv, Expr.i32(H))),
        Expr.bin(AND, Expr.bin(GE, iwv, Expr.i32(0)), Expr.bin(LT, iwv, Expr.i32(W))));
    Expr v = x.load(new Expr[] {o[0], o[1], clamp(ihv, H), clamp(iwv, W)});
    inner.add(new Stmt.Assign(acc, new Expr.Select(valid, max ? Expr.bin(MAX, a, v) : Expr.bin(ADD, a, v), a)));
    s.add(new Stmt.For(kh, (int) k[0], List.of(new Stmt.For(kw, (int) k[1], inner))));
    Expr res = a;
    if (!max) {
      Expr div;
      if (!n.attrIsNone("divisor_override")) div = Expr.f32(n.attrInt("divisor_override"));
      else {
        // PyTorch: end = min(start + k, size + pad); with count_include_pad the divisor is (end - start) over the
        // padded range, otherwise over the range clipped to the input.
        Expr he = Expr.bin(MIN, Expr.add(h0, Expr.i32(k[0])), Expr.i32(H + pad[0])), we = Expr.bin(MIN, Expr.add(w0, Expr.i32(k[1])), Expr.i32(W + pad[1]));
        Expr hs = h0, ws = w0;
        if (!n.attrBool("count_include_pad")) {
          hs = Expr.bin(MAX, h0, Expr.i32(0));
          ws = Expr.bin(MAX, w0, Expr.i32(0));
          he = Expr.bin(MIN, he, Expr.i32(H));
          we = Expr.bin(MIN, we, Expr.i32(W));
        }
        div = Expr.cast(KType.F32, Expr.bin(MUL, Expr.bin(SUB, he, hs), Expr.bin(SUB, we, ws)));
      }
      res = Expr.bin(DIV, a, div);
    }
    s.add(new Stmt.Store(out.buffer(), out.index(o), res));
    return s;
  }

  // adaptive window i: [floor(i*H/OH), ceil((i+1)*H/OH))
  private static List<Stmt> adaptive(LowerContext c, View x, View out, Expr[] o, int H, int W, int OH, int OW) {
    int kh = maxWindow(H, OH), kw = maxWindow(W, OW);
    Expr hs = local(c, null, Expr.bin(DIV, Expr.mul(o[2], Expr.i32(H)), Expr.i32(OH)));
    Expr he = Expr.bin(DIV, Expr.add(Expr.mul(Expr.add(o[2], Expr.i32(1)), Expr.i32(H)), Expr.i32(OH - 1)), Expr.i32(OH));
    Expr ws = Expr.bin(DIV, Expr.mul(o[3], Expr.i32(W)), Expr.i32(OW));
    Expr we = Expr.bin(DIV, Expr.add(Expr.mul(Expr.add(o[3], Expr.i32(1)), Expr.i32(W)), Expr.i32(OW - 1)), Expr.i32(OW));
    List<Stmt> s = new ArrayList<>();
    String hsN = c.freshVar("hs"), heN = c.freshVar("he"), wsN = c.freshVar("ws"), weN = c.freshVar("we"), acc = c.freshVar("acc");
    s.add(new Stmt.Let(hsN, hs, false));
    s.add(new Stmt.Let(heN, he, false));
    s.add(new Stmt.Let(wsN, ws, false));
    s.add(new Stmt.Let(weN, we, false));
    Expr HS = new Expr.Var(hsN, KType.INT), HE = new Expr.Var(heN, KType.INT), WS = new Expr.Var(wsN, KType.INT), WE = new Expr.Var(weN, KType.INT);
    Expr a = new Expr.Var(acc, KType.F32);
    s.add(new Stmt.Let(acc, Expr.f32(0), true));
    String i = c.freshVar("kh"), j = c.freshVar("kw");
    Expr ih = Expr.add(HS, new Expr.Var(i, KType.INT)), iw = Expr.add(WS, new Expr.Var(j, KType.INT));
    Expr valid = Expr.bin(AND, Expr.bin(LT, ih, HE), Expr.bin(LT, iw, WE));
    Expr v = x.load(new Expr[] {o[0], o[1], Expr.bin(MIN, ih, Expr.i32(H - 1)), Expr.bin(MIN, iw, Expr.i32(W - 1))});
    Stmt upd = new Stmt.Assign(acc, kh * kw == (H / OH) * (W / OW) && H % OH == 0 && W % OW == 0 ? Expr.bin(ADD, a, v) : new Expr.Select(valid, Expr.bin(ADD, a, v), a));
    s.add(new Stmt.For(i, kh, List.of(new Stmt.For(j, kw, List.of(upd)))));
    Expr div = Expr.cast(KType.F32, Expr.bin(MUL, Expr.bin(SUB, HE, HS), Expr.bin(SUB, WE, WS)));
    s.add(new Stmt.Store(out.buffer(), out.index(o), Expr.bin(DIV, a, div)));
    return s;
  }

  private static int maxWindow(int in, int out) {
    int m = 0;
    for (int i = 0; i < out; i++) m = Math.max(m, (int) (((long) (i + 1) * in + out - 1) / out - (long) i * in / out));
    return m;
  }

  private static Expr local(LowerContext c, List<Stmt> into, Expr e) {
    if (into == null || e instanceof Expr.Var || e instanceof Expr.Const) return e;
    String n = c.freshVar("p");
    into.add(new Stmt.Let(n, e, false));
    return new Expr.Var(n, KType.INT);
  }

  private static Expr clamp(Expr i, int size) { return Expr.bin(MAX, Expr.bin(MIN, i, Expr.i32(size - 1)), Expr.i32(0)); }

  private static long[] pair(long[] v) { return v.length == 1 ? new long[] {v[0], v[0]} : v; }
}
