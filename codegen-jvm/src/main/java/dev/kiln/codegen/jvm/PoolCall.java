package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Recognizes the loop nest lowering emits for a channels-last {@code max_pool2d} and replaces it by the runtime's
 * vectorized {@code Pool2d.maxNhwc} (the loops keep the window innermost, scalar, with a masking select per tap;
 * the primitive runs across channels with vectors). Kernel IR has no pooling statement, so the nest is matched by
 * shape and then checked by evaluating it: the window coordinates of every (output pixel, tap), the validity mask
 * and the load index of every valid tap (at the first and last channel and image), and every store index must be
 * those of a max pooling with the derived kernel, stride, padding and dilation. Anything else stays loops.
 *
 * <pre>
 *   for [%n] for %oh for %ow for %c {            (loops of extent 1 may be absent)
 *     var %acc = -inf
 *     for %kh for %kw { %p = ...; %q = ...; %acc := select(valid, max(%acc, load %x[idx]), %acc) }
 *     store %y[sidx], %acc
 *   }
 * </pre>
 *
 * @param params the 14 ints of {@code PoolParams} (n, c, h, w, kh, kw, strides, paddings, dilations, oh, ow)
 */
record PoolCall(int[] params, String x, String y) {

  /** The pooling {@code s} computes, or null if it is not (exactly) the nest above. */
  static PoolCall match(Stmt s, KernelProgram prog) {
    try {
      return matchOrThrow(s, prog);
    } catch (NoMatch | ArithmeticException e) {
      return null;
    }
  }

  private static final class NoMatch extends RuntimeException {
    NoMatch() { super(null, null, false, false); }
  }

  private static void require(boolean b) { if (!b) throw new NoMatch(); }

  private static PoolCall matchOrThrow(Stmt s, KernelProgram prog) {
    List<Stmt.For> outer = new ArrayList<>();
    Stmt cur = s;
    while (cur instanceof Stmt.For f && f.body().size() == 1 && f.body().get(0) instanceof Stmt.For) {
      outer.add(f);
      cur = f.body().get(0);
    }
    require(cur instanceof Stmt.For);
    Stmt.For last = (Stmt.For) cur;
    outer.add(last);
    List<Stmt> body = last.body();
    require(body.size() == 3 && body.get(0) instanceof Stmt.Let init && init.mutable() && body.get(1) instanceof Stmt.For kh
        && body.get(2) instanceof Stmt.Store st);
    Stmt.Let acc = (Stmt.Let) body.get(0);
    require(acc.value() instanceof Expr.Const k0 && k0.value() == Double.NEGATIVE_INFINITY);
    Stmt.For fh = (Stmt.For) body.get(1);
    require(fh.body().size() == 1 && fh.body().get(0) instanceof Stmt.For);
    Stmt.For fw = (Stmt.For) fh.body().get(0);
    Stmt.Store store = (Stmt.Store) body.get(2);
    require(store.value() instanceof Expr.Var v && v.name().equals(acc.name()));
    List<Stmt> inner = fw.body();
    require(!inner.isEmpty() && inner.get(inner.size() - 1) instanceof Stmt.Assign);
    Stmt.Assign upd = (Stmt.Assign) inner.get(inner.size() - 1);
    require(upd.name().equals(acc.name()) && upd.value() instanceof Expr.Select sel);
    Expr.Select select = (Expr.Select) upd.value();
    require(select.b() instanceof Expr.Var vb && vb.name().equals(acc.name()));
    require(select.a() instanceof Expr.Binary mx && mx.op() == Expr.BOp.MAX && mx.a() instanceof Expr.Var va && va.name().equals(acc.name())
        && mx.b() instanceof Expr.Load);
    Expr.Load load = (Expr.Load) ((Expr.Binary) select.a()).b();
    List<Stmt.Let> lets = new ArrayList<>();
    for (int i = 0; i < inner.size() - 1; i++) {
      require(inner.get(i) instanceof Stmt.Let l && !l.mutable());
      lets.add((Stmt.Let) inner.get(i));
    }

    KBuffer xb = prog.buffer(load.buffer()), yb = prog.buffer(store.buffer());
    require(xb != null && yb != null && xb.type() == KType.F32 && yb.type() == KType.F32 && xb.shape().length == 4 && yb.shape().length == 4);
    long[] xs = xb.shape(), ys = yb.shape();
    int n = (int) ys[0], oh = (int) ys[1], ow = (int) ys[2], c = (int) ys[3], h = (int) xs[1], w = (int) xs[2];
    require(xs[0] == n && xs[3] == c && !prog.storageOf(xb.name()).name().equals(prog.storageOf(yb.name()).name()));
    // Outer loops: the dims (n, oh, ow, c) in order, those of extent 1 possibly left out.
    String[] dimVar = new String[4];
    int[] dims = {n, oh, ow, c};
    if (outer.size() == 4) for (int d = 0; d < 4; d++) {
      require(outer.get(d).extent() == dims[d]);
      dimVar[d] = outer.get(d).var();
    }
    else {
      int o = 0;
      for (int d = 0; d < 4; d++) {
        if (dims[d] == 1) continue;
        require(o < outer.size() && outer.get(o).extent() == dims[d]);
        dimVar[d] = outer.get(o++).var();
      }
      require(o == outer.size());
    }
    int kH = fh.extent(), kW = fw.extent();

    Eval e = new Eval(lets);
    // The window coordinates: the lets that move with (oh, kh) only and with (ow, kw) only.
    int[] hg = null, wg = null;
    for (Stmt.Let l : lets) {
      int[] g = e.affine(l.name(), dimVar[1], fh.var(), dimVar[2], fw.var());
      if (g == null) continue;
      if (g[3] == 0 && g[4] == 0 && hg == null) hg = g;
      else if (g[1] == 0 && g[2] == 0 && wg == null) wg = g;
    }
    require(hg != null && wg != null && hg[1] > 0 && hg[2] > 0 && wg[3] > 0 && wg[4] > 0);
    int sh = hg[1], dh = hg[2], ph = -hg[0], sw = wg[3], dw = wg[4], pw = -wg[0];
    require(ph >= 0 && pw >= 0);

    // Check every (image corner, output pixel, tap, channel corner).
    for (int img : new int[] {0, n - 1})
      for (int ch : new int[] {0, c - 1})
        for (int y = 0; y < oh; y++)
          for (int x = 0; x < ow; x++) {
            e.setOuter(dimVar, img, y, x, ch);
            require(e.eval(store.index()) == (((long) img * oh + y) * ow + x) * c + ch);
            for (int ky = 0; ky < kH; ky++)
              for (int kx = 0; kx < kW; kx++) {
                e.set(fh.var(), ky);
                e.set(fw.var(), kx);
                e.bindLets();
                int iy = y * sh - ph + ky * dh, ix = x * sw - pw + kx * dw;
                boolean valid = iy >= 0 && iy < h && ix >= 0 && ix < w;
                require((e.eval(select.cond()) != 0) == valid);
                if (valid) require(e.eval(load.index()) == (((long) img * h + iy) * w + ix) * c + ch);
              }
          }
    int[] params = {n, c, h, w, kH, kW, sh, sw, ph, pw, dh, dw, oh, ow};
    try {
      new dev.kiln.runtime.kernels.PoolParams(n, c, h, w, kH, kW, sh, sw, ph, pw, dh, dw, oh, ow);
    } catch (IllegalArgumentException bad) {
      throw new NoMatch();
    }
    return new PoolCall(params, load.buffer(), store.buffer());
  }

  /** Integer evaluation of index expressions under an environment of loop variables and (pure) lets. */
  private static final class Eval {
    private final List<Stmt.Let> lets;
    private final Map<String, Long> env = new HashMap<>();

    Eval(List<Stmt.Let> lets) { this.lets = lets; }

    void set(String var, long v) { if (var != null) env.put(var, v); }

    void setOuter(String[] dimVar, int img, int y, int x, int ch) {
      set(dimVar[0], img);
      set(dimVar[1], y);
      set(dimVar[2], x);
      set(dimVar[3], ch);
    }

    void bindLets() { for (Stmt.Let l : lets) env.put(l.name(), eval(l.value())); }

    /**
     * Let {@code name} as {@code g0 + g1*a + g2*b + g3*c + g4*d} over four variables (others 0), or null when it is
     * not affine in them on the probes tried.
     */
    int[] affine(String name, String a, String b, String c, String d) {
      String[] vars = {a, b, c, d};
      for (String v : vars) set(v, 0);
      env.keySet().removeIf(k -> !java.util.Arrays.asList(vars).contains(k));
      long base = letValue(name);
      int[] g = new int[5];
      g[0] = (int) base;
      for (int i = 0; i < 4; i++) {
        if (vars[i] == null) continue;
        set(vars[i], 1);
        long one = letValue(name);
        set(vars[i], 2);
        long two = letValue(name);
        set(vars[i], 0);
        if (two - one != one - base) return null;
        g[i + 1] = (int) (one - base);
      }
      return g;
    }

    private long letValue(String name) {
      bindLets();
      Long v = env.get(name);
      if (v == null) throw new NoMatch();
      return v;
    }

    long eval(Expr x) {
      return switch (x) {
        case Expr.Const k -> {
          require(k.type() == KType.INT || k.type() == KType.BOOL);
          yield (long) k.value();
        }
        case Expr.Var v -> {
          Long val = env.get(v.name());
          if (val == null) throw new NoMatch();
          yield val;
        }
        case Expr.Binary b -> {
          long l = eval(b.a()), r = eval(b.b());
          yield switch (b.op()) {
            case ADD -> l + r;
            case SUB -> l - r;
            case MUL -> l * r;
            case MAX -> Math.max(l, r);
            case MIN -> Math.min(l, r);
            case LT -> l < r ? 1 : 0;
            case LE -> l <= r ? 1 : 0;
            case GT -> l > r ? 1 : 0;
            case GE -> l >= r ? 1 : 0;
            case EQ -> l == r ? 1 : 0;
            case NE -> l != r ? 1 : 0;
            case AND -> l & r;
            case OR -> l | r;
            default -> throw new NoMatch();
          };
        }
        default -> throw new NoMatch();
      };
    }
  }
}
