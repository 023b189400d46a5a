package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.add;
import static dev.kiln.ir.kernel.Expr.i32;
import static dev.kiln.ir.kernel.Expr.mul;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Expr.BOp;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Stride-1 3x3 convolutions as Winograd F(m x m, 3 x 3) (Lavin and Gray, 2015), in plain Kernel IR so both backends
 * get it: each output tile of m x m pixels comes from an (m+2) x (m+2) input tile as
 * {@code Y = A^T [ (G g G^T) . (B^T d B) ] A}, and the elementwise products of all tiles at one of the (m+2)^2
 * positions, summed over input channels, are one GEMM. So a layer becomes
 * <ol>
 *   <li>an init kernel: U[pos][ic][oc] = G w G^T for every filter (once, when the model is made);
 *   <li>the input transform: V[pos][tile][ic] = B^T d B per tile and channel (padding read as zeros);
 *   <li>(m+2)^2 GEMMs M[pos] (tiles x oc) = V[pos] (tiles x ic) * U[pos] (ic x oc);
 *   <li>the output transform: y = A^T M A + bias per tile and output channel, edge tiles storing only the pixels
 *       inside the output.
 * </ol>
 * Multiplications per output pixel and channel pair: 9 direct, 4 with F(2x2) (16/4), 2.25 with F(4x4) (36/16); the
 * transforms are O(channels), not O(channels^2). F(4x4)'s larger transform coefficients cost some precision
 * (about 1e-6 relative per layer in f32; the tests bound whole models against the interpreter).
 */
final class WinogradLowering {
  private WinogradLowering() {}

  /** One F(m x m, 3 x 3) algorithm: its transform matrices (rows of B^T, G, A^T). */
  record Tile(int m, double[][] bt, double[][] g, double[][] at) {
    int a() { return m + 2; }
  }

  static final Tile F2 = new Tile(2,
      new double[][] {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
      new double[][] {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}},
      new double[][] {{1, 1, 1, 0}, {0, 1, -1, -1}});

  static final Tile F4 = new Tile(4,
      new double[][] {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0},
          {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}},
      new double[][] {{1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
          {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}},
      new double[][] {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}});

  /**
   * Fewest tiles (rows of each GEMM) for which {@code AUTO} picks a tile size. The GEMMs repack their B operand (the
   * transformed weights, ic x oc per position) on every call, so with few rows that packing, not the arithmetic,
   * sets the time: measured on resnet18 (LlvmKernelProfile), F(4x4) at 16 tiles (14x14x256) and 4 tiles (7x7x512)
   * was slower than F(2x2) at 49 tiles and than the direct convolution.
   */
  static final int MIN_TILES = 40;

  /**
   * Fewest tiles for F(2x2) under {@code AUTO}: {@link #MIN_TILES}, or {@code -Dkiln.winograd.f2MinTiles=N} (read at
   * each lowering; 16 takes resnet18's 7x7x512 layers at batch 1 to F(2x2), for measuring).
   */
  static int f2MinTiles() { return Integer.getInteger("kiln.winograd.f2MinTiles", MIN_TILES); }

  /** Fewest input and output channels for Winograd: below, the transforms cost more than the products save. */
  static final int MIN_CHANNELS = 16;

  /**
   * The algorithm for a convolution with ConvParams {@code q} and weight {@code w}, or null to keep the direct
   * convolution: 3x3, stride 1, dilation 1, one group, a named weight (so U is computed once); then under
   * {@code AUTO}, with enough channels, F(4x4) when it gives at least {@link #MIN_TILES} tiles, else F(2x2) when
   * that does.
   */
  static Tile choose(LowerContext c, LoweringOptions.Winograd mode, int[] q, View w) {
    if (mode == LoweringOptions.Winograd.OFF) return null;
    boolean shape = q[5] == 3 && q[6] == 3 && q[7] == 1 && q[8] == 1 && q[11] == 1 && q[12] == 1 && q[13] == 1;
    KBuffer wb = c.buffers.get(w.buffer());
    if (!shape || wb == null || wb.role() != KBuffer.Role.WEIGHT || w.rank() != 4) return null;
    return switch (mode) {
      case F2X2 -> F2;
      case F4X4 -> F4;
      default -> q[1] < MIN_CHANNELS || q[4] < MIN_CHANNELS ? null
          : tiles(q, F4) >= MIN_TILES ? F4 : tiles(q, F2) >= f2MinTiles() ? F2 : null;
    };
  }

  /** Output tiles of the whole batch: n * ceil(oh/m) * ceil(ow/m). */
  static int tiles(int[] q, Tile t) {
    return q[0] * ceilDiv(q[14], t.m()) * ceilDiv(q[15], t.m());
  }

  /**
   * The run statements of the convolution {@code y = conv(x, w) + bias} (bias may be null) with tile {@code t};
   * adds the transformed-weight buffer and its init kernel, and the two scratch buffers, to the context.
   */
  static List<Stmt> lower(LowerContext c, int[] q, Tile t, View x, View w, View bias, View y) {
    int n = q[0], ic = q[1], h = q[2], wd = q[3], oc = q[4], padH = q[9], padW = q[10], oh = q[14], ow = q[15];
    int a = t.a(), m = t.m(), th = ceilDiv(oh, m), tw = ceilDiv(ow, m), tiles = n * th * tw, pos = a * a;
    String u = c.addBuffer(w.buffer() + "_wino" + m, KType.F32, new long[] {pos, ic, oc}, KBuffer.Role.CONST, null);
    List<Stmt> init = weightTransform(c, t, w, u, ic, oc);
    c.init.add(new Kernel("init_" + u, Params.of(init), init, "Winograd F(" + m + "x" + m + ",3x3) transform of %" + w.buffer()));
    String v = c.addBuffer(y.buffer() + "_wv", KType.F32, new long[] {pos, tiles, ic}, KBuffer.Role.TEMP, null);
    String mm = c.addBuffer(y.buffer() + "_wm", KType.F32, new long[] {pos, tiles, oc}, KBuffer.Role.TEMP, null);
    List<Stmt> out = new ArrayList<>();
    // 1. input transform, channels innermost (contiguous in both x (channels-last) and V)
    String vn = c.freshVar("wn"), vy = c.freshVar("wty"), vx = c.freshVar("wtx"), vc = c.freshVar("wc");
    Expr nb = var(vn), ty = var(vy), tx = var(vx), ci = var(vc);
    Expr tile = add(mul(add(mul(nb, i32(th)), ty), i32(tw)), tx);
    List<Stmt> body = new ArrayList<>();
    Expr[][] d = new Expr[a][a];
    for (int i = 0; i < a; i++)
      for (int j = 0; j < a; j++) {
        Expr iy = add(mul(ty, i32(m)), i32(i - padH)), ix = add(mul(tx, i32(m)), i32(j - padW));
        d[i][j] = let(c, body, "wd", paddedLoad(x, nb, ci, iy, ix, h, wd));
      }
    Expr[][] vt = sandwich(c, body, t.bt(), d, t.bt(), "wb");
    for (int p = 0; p < pos; p++)
      body.add(new Stmt.Store(v, add(add(i32((long) p * tiles * ic), mul(tile, i32(ic))), ci), vt[p / a][p % a]));
    out.add(loops(List.of(vn, vy, vx, vc), new int[] {n, th, tw, ic}, body));
    // 2. one GEMM per position: M[p] = V[p] U[p]
    String vp = c.freshVar("wp");
    Expr pp = var(vp);
    out.add(new Stmt.For(vp, pos, List.of(new Stmt.Gemm(false, false, tiles, oc, ic, 1f, v, mul(pp, i32((long) tiles * ic)), ic,
        u, mul(pp, i32((long) ic * oc)), oc, 0f, mm, mul(pp, i32((long) tiles * oc)), oc))));
    // 3. output transform per region of tiles that are whole or cut by the bottom/right edge
    int[][] rows = regions(oh, m), cols = regions(ow, m);
    for (int[] r : rows)
      for (int[] col : cols) out.add(outputRegion(c, t, mm, bias, y, n, th, tw, oc, tiles, r, col));
    return out;
  }

  /** {first tile, tile count, pixels per tile} of whole tiles, then of the cut last tile (if any). */
  private static int[][] regions(int size, int m) {
    int whole = size / m, rest = size % m;
    List<int[]> out = new ArrayList<>();
    if (whole > 0) out.add(new int[] {0, whole, m});
    if (rest > 0) out.add(new int[] {whole, 1, rest});
    return out.toArray(int[][]::new);
  }

  private static Stmt outputRegion(LowerContext c, Tile t, String mm, View bias, View y, int n, int th, int tw, int oc,
      int tiles, int[] rows, int[] cols) {
    int a = t.a(), m = t.m();
    String vn = c.freshVar("wn"), vy = c.freshVar("wty"), vx = c.freshVar("wtx"), vo = c.freshVar("wo");
    Expr nb = var(vn), ty = add(var(vy), i32(rows[0])), tx = add(var(vx), i32(cols[0])), o = var(vo);
    Expr tile = add(mul(add(mul(nb, i32(th)), ty), i32(tw)), tx);
    List<Stmt> body = new ArrayList<>();
    Expr[][] mv = new Expr[a][a];
    for (int p = 0; p < a * a; p++)
      mv[p / a][p % a] = let(c, body, "wm", new Expr.Load(mm, KType.F32, add(add(i32((long) p * tiles * oc), mul(tile, i32(oc))), o)));
    Expr[][] yt = sandwich(c, body, t.at(), mv, t.at(), "wa");
    Expr b = bias == null ? null : let(c, body, "wbias", bias.load(new Expr[] {o}));
    for (int i = 0; i < rows[2]; i++)
      for (int j = 0; j < cols[2]; j++) {
        Expr val = b == null ? yt[i][j] : Expr.bin(BOp.ADD, yt[i][j], b);
        Expr[] idx = {nb, o, add(mul(ty, i32(m)), i32(i)), add(mul(tx, i32(m)), i32(j))};
        body.add(new Stmt.Store(y.buffer(), y.index(idx), val));
      }
    return loops(List.of(vn, vy, vx, vo), new int[] {n, rows[1], cols[1], oc}, body);
  }

  /** Init: U[pos][ci][o] = (G w[o][ci] G^T)[pos] for every filter. */
  private static List<Stmt> weightTransform(LowerContext c, Tile t, View w, String u, int ic, int oc) {
    int a = t.a();
    String vo = c.freshVar("wo"), vc = c.freshVar("wc");
    Expr o = var(vo), ci = var(vc);
    List<Stmt> body = new ArrayList<>();
    Expr[][] g = new Expr[3][3];
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) g[i][j] = let(c, body, "wg", w.load(new Expr[] {o, ci, i32(i), i32(j)}));
    Expr[][] ut = sandwich(c, body, t.g(), g, t.g(), "wu");
    for (int p = 0; p < a * a; p++)
      body.add(new Stmt.Store(u, add(add(i32((long) p * ic * oc), mul(ci, i32(oc))), o), ut[p / a][p % a]));
    return List.of(loops(List.of(vo, vc), new int[] {oc, ic}, body));
  }

  /** L X R^T for constant L (r x k), R (s x k) and a k x k grid of values: two passes of lets, r x s results. */
  private static Expr[][] sandwich(LowerContext c, List<Stmt> body, double[][] l, Expr[][] x, double[][] r, String hint) {
    int k = x.length, cols = x[0].length;
    Expr[][] left = new Expr[l.length][cols];
    for (int i = 0; i < l.length; i++)
      for (int j = 0; j < cols; j++) {
        Expr[] column = new Expr[k];
        for (int s = 0; s < k; s++) column[s] = x[s][j];
        left[i][j] = let(c, body, hint, combine(l[i], column));
      }
    Expr[][] out = new Expr[l.length][r.length];
    for (int i = 0; i < l.length; i++)
      for (int j = 0; j < r.length; j++) out[i][j] = let(c, body, hint, combine(r[j], left[i]));
    return out;
  }

  /** sum_s coef[s] * v[s] over the non-zero coefficients, with +-1 as plain adds and subtracts. */
  static Expr combine(double[] coef, Expr[] v) {
    Expr acc = null;
    for (int s = 0; s < coef.length; s++) {
      double k = coef[s];
      if (k == 0) continue;
      Expr term = Math.abs(k) == 1 ? v[s] : Expr.bin(BOp.MUL, Expr.f32(Math.abs(k)), v[s]);
      if (acc == null) acc = k < 0 ? new Expr.Unary(Expr.UOp.NEG, term) : term;
      else acc = Expr.bin(k < 0 ? BOp.SUB : BOp.ADD, acc, term);
    }
    return acc == null ? Expr.f32(0) : acc;
  }

  /** x[nb, ci, iy, ix] (logical NCHW indices through the view), 0 outside the image; the address clamped inside. */
  private static Expr paddedLoad(View x, Expr nb, Expr ci, Expr iy, Expr ix, int h, int w) {
    Expr cy = Expr.bin(BOp.MIN, Expr.bin(BOp.MAX, iy, i32(0)), i32(h - 1));
    Expr cx = Expr.bin(BOp.MIN, Expr.bin(BOp.MAX, ix, i32(0)), i32(w - 1));
    Expr in = Expr.bin(BOp.AND, Expr.bin(BOp.AND, Expr.bin(BOp.GE, iy, i32(0)), Expr.bin(BOp.LT, iy, i32(h))),
        Expr.bin(BOp.AND, Expr.bin(BOp.GE, ix, i32(0)), Expr.bin(BOp.LT, ix, i32(w))));
    return new Expr.Select(in, x.load(new Expr[] {nb, ci, cy, cx}), Expr.f32(0));
  }

  private static Expr let(LowerContext c, List<Stmt> body, String hint, Expr value) {
    if (value instanceof Expr.Var || value instanceof Expr.Const) return value;
    String name = c.freshVar(hint);
    body.add(new Stmt.Let(name, value, false));
    return new Expr.Var(name, KType.F32);
  }

  /** Nested counted loops, outermost first. */
  private static Stmt loops(List<String> vars, int[] extents, List<Stmt> body) {
    List<Stmt> inner = body;
    for (int k = vars.size() - 1; k >= 0; k--) inner = List.of(new Stmt.For(vars.get(k), extents[k], inner));
    return inner.get(0);
  }

  private static Expr var(String name) { return new Expr.Var(name, KType.INT); }

  private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }
}
