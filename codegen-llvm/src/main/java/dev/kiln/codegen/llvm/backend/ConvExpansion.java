package dev.kiln.codegen.llvm.backend;

import static dev.kiln.ir.kernel.Expr.add;
import static dev.kiln.ir.kernel.Expr.i32;
import static dev.kiln.ir.kernel.Expr.mul;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Expr.BOp;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a {@code call conv2d} / {@code conv2d_nhwc} into Kernel IR the native emitter already handles: a bias
 * (or zero) fill of y, then per image and group an im2col copy loop into the workspace buffer {@link #COL} and a
 * {@link Stmt.Gemm} accumulating onto y (beta = 1), which becomes the explicit-vector GEMM. Pointwise convolutions
 * use x itself as the im2col matrix; depthwise ones are a direct loop nest (taps innermost, unrolled by LLVM).
 *
 * <p>Params are ConvParams' 16 ints: n, c, h, w, oc, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups, oh, ow.
 */
final class ConvExpansion {
  /** Name of the pseudo-buffer for the im2col matrix: the workspace after the GEMM's packing area. */
  static final String COL = "__col";

  private ConvExpansion() {}

  /**
   * Floats of scratch the convolution needs: the im2col matrix, the tap-major weight copy of a channels-last
   * depthwise convolution, 0 for pointwise ones.
   */
  static long colFloats(Stmt.Conv conv) {
    int[] q = conv.params();
    int c = q[1], kh = q[5], kw = q[6], groups = q[13], oh = q[14], ow = q[15];
    if (depthwise(q)) return conv.nhwc() ? (long) kh * kw * c : 0;
    if (pointwise(q)) return 0;
    return (long) (c / groups) * kh * kw * oh * ow;
  }

  /**
   * True when the convolution is a channels-last im2col + GEMM with enough channels: the emitter then calls the shared
   * {@link Im2colRoutine} per image and group (loop variables {@code tag+"n"}, {@code tag+"g"}) between
   * {@link #biasFill} and {@link #nhwcGemm}, instead of the loop nest {@link #expand} would give.
   */
  static boolean sharedIm2col(Stmt.Conv conv) {
    int[] q = conv.params();
    return conv.nhwc() && !pointwise(q) && !depthwise(q) && q[1] / q[13] >= MIN_SHARED_CHANNELS;
  }

  /** Off ({@code -Dkiln.llvm.biasGemm=false}, for measuring): pointwise convolutions fill the bias, then accumulate. */
  static final boolean BIAS_GEMM = !"false".equals(System.getProperty("kiln.llvm.biasGemm"));

  /**
   * True for a channels-last one-group pointwise convolution with a bias: with its weight packed at init the emitters
   * run it as one {@link GemmLibrary#callPackedBias} (y = bias + x W^T, no fill pass), over rows {@code n*oh*ow}.
   */
  static boolean pointwiseBias(Stmt.Conv conv) {
    int[] q = conv.params();
    return BIAS_GEMM && conv.nhwc() && pointwise(q) && q[13] == 1 && conv.bias() != null;
  }

  /**
   * Fewest channels per group for the shared im2col routine: its channel loop has a run-time trip count, which
   * costs more than the copy itself for a first layer's 3 channels (a constant-size nest is unrolled instead).
   */
  static final int MIN_SHARED_CHANNELS = 16;

  /** y = bias (or 0), in y's layout. */
  static Stmt biasFill(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int n = q[0], oc = q[4], plane = q[14] * q[15];
    if (cv.nhwc())
      return loop(t + "f", n * plane, loop(t + "o", oc, new Stmt.Store(cv.y(), add(mul(v(t + "f"), i32(oc)), v(t + "o")),
          cv.bias() == null ? Expr.f32(0) : new Expr.Load(cv.bias(), KType.F32, v(t + "o")))));
    return loop(t + "f", n * oc, loop(t + "p", plane, new Stmt.Store(cv.y(), add(mul(v(t + "f"), i32(plane)), v(t + "p")),
        cv.bias() == null ? Expr.f32(0) : new Expr.Load(cv.bias(), KType.F32, rem(v(t + "f"), oc)))));
  }

  /** Offset of image {@code tag+"n"}, group {@code tag+"g"} in channels-last x. */
  static Expr nhwcXOffset(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    return add(mul(v(t + "n"), i32(q[2] * q[3] * q[1])), mul(v(t + "g"), i32(q[1] / q[13])));
  }

  /** y[:, g] (plane x og) += col (plane x kdim) * W[g]^T (kdim x og) for image {@code tag+"n"}, group {@code tag+"g"}. */
  static Stmt.Gemm nhwcGemm(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int c = q[1], oc = q[4], groups = q[13], cg = c / groups, og = oc / groups, kdim = cg * q[5] * q[6], plane = q[14] * q[15];
    return new Stmt.Gemm(false, true, plane, og, kdim, 1f, COL, i32(0), kdim, cv.weight(), mul(v(t + "g"), i32(og * kdim)), kdim,
        1f, cv.y(), add(mul(v(t + "n"), i32(plane * oc)), mul(v(t + "g"), i32(og))), oc);
  }

  static List<Stmt> expand(Stmt.Conv conv, String tag) { return expand(conv, tag, null); }

  /**
   * As above; with {@code clamp} (only for {@link #depthwiseClamp} convolutions) the stored value is
   * {@code min(max(acc, lo), hi)}, the relu / relu6 epilogue loop after the convolution applied in its store.
   */
  static List<Stmt> expand(Stmt.Conv conv, String tag, FusedEpilogue clamp) {
    int[] q = conv.params();
    if (clamp != null && !depthwiseClamp(conv)) throw new IllegalArgumentException("no clamp form for this convolution");
    if (depthwise(q)) return !conv.nhwc() ? depthwiseLoops(conv, tag) : PER_TAP ? depthwiseNhwcPerTap(conv, tag) : depthwiseNhwc(conv, tag, clamp);
    return im2colGemm(conv, tag);
  }

  /** True for the convolutions whose expansion can apply a clamp epilogue in its store: channels-last depthwise. */
  static boolean depthwiseClamp(Stmt.Conv conv) { return conv.nhwc() && depthwise(conv.params()) && !PER_TAP; }

  private static boolean pointwise(int[] q) {
    return q[5] == 1 && q[6] == 1 && q[7] == 1 && q[8] == 1 && q[9] == 0 && q[10] == 0;
  }

  private static boolean depthwise(int[] q) { return q[13] == q[1] && q[4] == q[1]; }

  private static List<Stmt> im2colGemm(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int n = q[0], c = q[1], h = q[2], w = q[3], oc = q[4], kh = q[5], kw = q[6], groups = q[13], oh = q[14], ow = q[15];
    int cg = c / groups, og = oc / groups, kdim = cg * kh * kw, plane = oh * ow;
    List<Stmt> out = new ArrayList<>();
    Expr img = v(t + "n"), g = v(t + "g");
    List<Stmt> perGroup = new ArrayList<>();
    if (!cv.nhwc()) {
      // y[o][plane] = bias[o]; then y[g] (og x plane) += W[g] (og x kdim) * col (kdim x plane)
      out.add(biasFill(cv, t));
      Expr yOff = add(mul(img, i32(oc * plane)), mul(g, i32(og * plane)));
      if (pointwise(q)) {
        perGroup.add(new Stmt.Gemm(false, false, og, plane, kdim, 1f, cv.weight(), mul(g, i32(og * kdim)), kdim,
            cv.x(), add(mul(img, i32(c * h * w)), mul(g, i32(cg * h * w))), plane, 1f, cv.y(), yOff, plane));
      } else {
        Expr ci = v(t + "ci"), ky = v(t + "ky"), kx = v(t + "kx"), oy = v(t + "oy"), ox = v(t + "ox");
        Expr iy = tap(oy, ky, q[7], q[9], q[11]), ix = tap(ox, kx, q[8], q[10], q[12]);
        Expr xIdx = add(add(mul(img, i32(c * h * w)), mul(add(mul(g, i32(cg)), ci), i32(h * w))), add(mul(clamp(iy, h, q[9]), i32(w)), clamp(ix, w, q[10])));
        Expr col = add(mul(add(mul(add(mul(ci, i32(kh)), ky), i32(kw)), kx), i32(plane)), add(mul(oy, i32(ow)), ox));
        perGroup.add(loop(t + "ci", cg, loop(t + "ky", kh, loop(t + "kx", kw, loop(t + "oy", oh, loop(t + "ox", ow,
            new Stmt.Store(COL, col, masked(cv.x(), xIdx, iy, h, ix, w, q[9] > 0 || q[10] > 0))))))));
        perGroup.add(new Stmt.Gemm(false, false, og, plane, kdim, 1f, cv.weight(), mul(g, i32(og * kdim)), kdim,
            COL, i32(0), plane, 1f, cv.y(), yOff, plane));
      }
    } else {
      // y[pixel][o] = bias[o]; then y[:, g] (plane x og) += col (plane x kdim) * W[g]^T (kdim x og), W is [oc][kh][kw][cg]
      out.add(biasFill(cv, t));
      if (pointwise(q)) {
        List<Stmt> groupsLoop = List.of(new Stmt.Gemm(false, true, n * plane, og, cg, 1f, cv.x(), mul(g, i32(cg)), c,
            cv.weight(), mul(g, i32(og * cg)), cg, 1f, cv.y(), mul(g, i32(og)), oc));
        out.add(new Stmt.For(t + "g", groups, groupsLoop));
        return out;
      }
      Expr oy = v(t + "oy"), ox = v(t + "ox"), ky = v(t + "ky"), kx = v(t + "kx"), ci = v(t + "ci");
      Expr iy = tap(oy, ky, q[7], q[9], q[11]), ix = tap(ox, kx, q[8], q[10], q[12]);
      Expr xIdx = add(add(mul(img, i32(h * w * c)), mul(add(mul(clamp(iy, h, q[9]), i32(w)), clamp(ix, w, q[10])), i32(c))), add(mul(g, i32(cg)), ci));
      Expr col = add(mul(add(mul(oy, i32(ow)), ox), i32(kdim)), add(mul(add(mul(ky, i32(kw)), kx), i32(cg)), ci));
      perGroup.add(loop(t + "oy", oh, loop(t + "ox", ow, loop(t + "ky", kh, loop(t + "kx", kw, loop(t + "ci", cg,
          new Stmt.Store(COL, col, masked(cv.x(), xIdx, iy, h, ix, w, q[9] > 0 || q[10] > 0))))))));
      perGroup.add(nhwcGemm(cv, t));
    }
    out.add(new Stmt.For(t + "n", n, List.of(new Stmt.For(t + "g", groups, perGroup))));
    return out;
  }

  /**
   * Channels-last depthwise: channels innermost everywhere so every loop is a contiguous vector loop. The weights
   * ([c][kh][kw]) are first copied tap-major into the scratch area ({@link #COL}: [kh*kw][c], a few KB per run);
   * then per output pixel and channel acc = bias + sum over taps of x[.., c] * w[tap][c], taps inside the channel
   * loop: LLVM unrolls the constant tap loops, so the channel loop is innermost and vectorizes with the accumulator
   * in a register (one store of y per pixel instead of a load and store per tap). The padding test depends on the
   * pixel and tap only, so it is a broadcast select in the vector loop. A relu / relu6 epilogue ({@link FusedEpilogue})
   * is applied to the accumulator before that store when given. The emitters take the explicit-vector kernel of
   * {@code conv.DepthwiseConvEmitter} instead whenever it applies (this form remains for {@code -Dkiln.llvm.dwConv=false},
   * dilation, sides past its limit).
   */
  private static List<Stmt> depthwiseNhwc(Stmt.Conv cv, String t, FusedEpilogue clamp) {
    int[] q = cv.params();
    int n = q[0], c = q[1], h = q[2], w = q[3], kh = q[5], kw = q[6], oh = q[14], ow = q[15];
    Expr img = v(t + "n"), oy = v(t + "oy"), ox = v(t + "ox"), ky = v(t + "ky"), kx = v(t + "kx"), ch = v(t + "c1");
    Expr iy = tap(oy, ky, q[7], q[9], q[11]), ix = tap(ox, kx, q[8], q[10], q[12]);
    Expr cy = clamp(iy, h, q[9]), cx = clamp(ix, w, q[10]);
    Expr pixel = add(add(mul(img, i32(oh * ow)), mul(oy, i32(ow))), ox);
    Expr xPixel = add(add(mul(img, i32(h * w)), mul(cy, i32(w))), cx);
    Expr tapIdx = add(mul(ky, i32(kw)), kx);
    Stmt copy = loop(t + "t", kh * kw, loop(t + "c0", c, new Stmt.Store(COL, add(mul(v(t + "t"), i32(c)), v(t + "c0")),
        new Expr.Load(cv.weight(), KType.F32, add(mul(v(t + "c0"), i32(kh * kw)), v(t + "t"))))));
    String acc = t + "acc";
    Expr xv = masked(cv.x(), add(mul(xPixel, i32(c)), ch), iy, h, ix, w, q[9] > 0 || q[10] > 0);
    Expr wv = new Expr.Load(COL, KType.F32, add(mul(tapIdx, i32(c)), ch));
    List<Stmt> body = List.of(
        new Stmt.Let(acc, cv.bias() == null ? Expr.f32(0) : new Expr.Load(cv.bias(), KType.F32, ch), true),
        loop(t + "ky", kh, loop(t + "kx", kw, new Stmt.Assign(acc,
            Expr.bin(BOp.ADD, new Expr.Var(acc, KType.F32), Expr.bin(BOp.MUL, xv, wv))))),
        new Stmt.Store(cv.y(), add(mul(pixel, i32(c)), ch), clamped(new Expr.Var(acc, KType.F32), clamp)));
    Stmt pixels = loop(t + "n", n, loop(t + "oy", oh, loop(t + "ox", ow, new Stmt.For(t + "c1", c, body))));
    return List.of(copy, pixels);
  }

  /** The previous channels-last depthwise form, for measuring ({@code -Dkiln.llvm.depthwise=perTap}). */
  static final boolean PER_TAP = "perTap".equals(System.getProperty("kiln.llvm.depthwise"));

  /** Per pixel: y = bias, then per tap y[.., c] += x[.., c] * w[tap][c] (a load and store of y per tap). */
  private static List<Stmt> depthwiseNhwcPerTap(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int n = q[0], c = q[1], h = q[2], w = q[3], kh = q[5], kw = q[6], oh = q[14], ow = q[15];
    Expr img = v(t + "n"), oy = v(t + "oy"), ox = v(t + "ox"), ky = v(t + "ky"), kx = v(t + "kx");
    Expr iy = tap(oy, ky, q[7], q[9], q[11]), ix = tap(ox, kx, q[8], q[10], q[12]);
    Expr cy = clamp(iy, h, q[9]), cx = clamp(ix, w, q[10]);
    Expr pixel = add(add(mul(img, i32(oh * ow)), mul(oy, i32(ow))), ox);
    Expr xPixel = add(add(mul(img, i32(h * w)), mul(cy, i32(w))), cx);
    Expr tapIdx = add(mul(ky, i32(kw)), kx);
    Stmt copy = loop(t + "t", kh * kw, loop(t + "c0", c, new Stmt.Store(COL, add(mul(v(t + "t"), i32(c)), v(t + "c0")),
        new Expr.Load(cv.weight(), KType.F32, add(mul(v(t + "c0"), i32(kh * kw)), v(t + "t"))))));
    Expr y1 = add(mul(pixel, i32(c)), v(t + "c1"));
    Stmt init = loop(t + "c1", c, new Stmt.Store(cv.y(), y1,
        cv.bias() == null ? Expr.f32(0) : new Expr.Load(cv.bias(), KType.F32, v(t + "c1"))));
    Expr ch = v(t + "c2");
    Expr y2 = add(mul(pixel, i32(c)), ch);
    Expr xv = masked(cv.x(), add(mul(xPixel, i32(c)), ch), iy, h, ix, w, q[9] > 0 || q[10] > 0);
    Expr wv = new Expr.Load(COL, KType.F32, add(mul(tapIdx, i32(c)), ch));
    Stmt acc = loop(t + "ky", kh, loop(t + "kx", kw, loop(t + "c2", c, new Stmt.Store(cv.y(), y2,
        Expr.bin(BOp.ADD, new Expr.Load(cv.y(), KType.F32, y2), Expr.bin(BOp.MUL, xv, wv))))));
    Stmt pixels = loop(t + "n", n, loop(t + "oy", oh, new Stmt.For(t + "ox", ow, List.of(init, acc))));
    return List.of(copy, pixels);
  }

  /** One output per channel: acc = bias + sum over taps of x * w, taps innermost (LLVM unrolls them). */
  private static List<Stmt> depthwiseLoops(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int n = q[0], c = q[1], h = q[2], w = q[3], kh = q[5], kw = q[6], oh = q[14], ow = q[15];
    Expr img = v(t + "n"), ch = v(t + "c"), oy = v(t + "oy"), ox = v(t + "ox"), ky = v(t + "ky"), kx = v(t + "kx");
    Expr iy = tap(oy, ky, q[7], q[9], q[11]), ix = tap(ox, kx, q[8], q[10], q[12]);
    Expr cy = clamp(iy, h, q[9]), cx = clamp(ix, w, q[10]);
    Expr xIdx, yIdx;
    if (cv.nhwc()) {
      xIdx = add(mul(add(add(mul(img, i32(h * w)), mul(cy, i32(w))), cx), i32(c)), ch);
      yIdx = add(mul(add(add(mul(img, i32(oh * ow)), mul(oy, i32(ow))), ox), i32(c)), ch);
    } else {
      xIdx = add(mul(add(mul(img, i32(c)), ch), i32(h * w)), add(mul(cy, i32(w)), cx));
      yIdx = add(mul(add(mul(img, i32(c)), ch), i32(oh * ow)), add(mul(oy, i32(ow)), ox));
    }
    String acc = t + "acc";
    Expr wv = new Expr.Load(cv.weight(), KType.F32, add(mul(ch, i32(kh * kw)), add(mul(ky, i32(kw)), kx)));
    Expr prod = Expr.bin(BOp.MUL, masked(cv.x(), xIdx, iy, h, ix, w, q[9] > 0 || q[10] > 0), wv);
    List<Stmt> body = List.of(
        new Stmt.Let(acc, cv.bias() == null ? Expr.f32(0) : new Expr.Load(cv.bias(), KType.F32, ch), true),
        loop(t + "ky", kh, loop(t + "kx", kw, new Stmt.Assign(acc, Expr.bin(BOp.ADD, new Expr.Var(acc, KType.F32), prod)))),
        new Stmt.Store(cv.y(), yIdx, new Expr.Var(acc, KType.F32)));
    Stmt inner = cv.nhwc()
        ? loop(t + "oy", oh, loop(t + "ox", ow, new Stmt.For(t + "c", c, body)))
        : new Stmt.For(t + "c", c, List.of(loop(t + "oy", oh, new Stmt.For(t + "ox", ow, body))));
    return List.of(loop(t + "n", n, inner));
  }

  /** {@code min(max(x, lo), hi)}, leaving out an infinite bound (the same value: maximum(x, -inf) is x, NaN too). */
  private static Expr clamped(Expr x, FusedEpilogue clamp) {
    if (clamp == null) return x;
    Expr e = clamp.lo() == Float.NEGATIVE_INFINITY ? x : Expr.bin(BOp.MAX, x, Expr.f32(clamp.lo()));
    return clamp.hi() == Float.POSITIVE_INFINITY ? e : Expr.bin(BOp.MIN, e, Expr.f32(clamp.hi()));
  }

  private static Expr v(String name) { return new Expr.Var(name, KType.INT); }

  private static Stmt loop(String var, int extent, Stmt body) { return new Stmt.For(var, extent, List.of(body)); }

  /** Input coordinate of output {@code o} at tap {@code k}: o*stride - pad + k*dil (may be out of range). */
  private static Expr tap(Expr o, Expr k, int stride, int pad, int dil) {
    return add(add(mul(o, i32(stride)), i32(-pad)), mul(k, i32(dil)));
  }

  /** The coordinate clamped into [0, size) when padding can take it outside (branch-free load address). */
  private static Expr clamp(Expr i, int size, int pad) {
    if (pad == 0) return i;
    return Expr.bin(BOp.MIN, Expr.bin(BOp.MAX, i, i32(0)), i32(size - 1));
  }

  private static Expr masked(String x, Expr idx, Expr iy, int h, Expr ix, int w, boolean padded) {
    Expr load = new Expr.Load(x, KType.F32, idx);
    if (!padded) return load;
    Expr in = Expr.bin(BOp.AND, Expr.bin(BOp.AND, Expr.bin(BOp.GE, iy, i32(0)), Expr.bin(BOp.LT, iy, i32(h))),
        Expr.bin(BOp.AND, Expr.bin(BOp.GE, ix, i32(0)), Expr.bin(BOp.LT, ix, i32(w))));
    return new Expr.Select(in, load, Expr.f32(0));
  }

  private static Expr rem(Expr a, int b) { return Expr.bin(BOp.REM, a, i32(b)); }
}
