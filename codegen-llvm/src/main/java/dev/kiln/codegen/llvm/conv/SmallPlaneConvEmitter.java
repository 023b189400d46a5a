package dev.kiln.codegen.llvm.conv;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Direct channels-last convolution for layers with a small output plane and many channels (resnet18's 7x7x512
 * layers at batch 1: 49 output pixels, so im2col + GEMM has 49 rows, three and a half 14-row micro-tiles, and copies
 * a 49 x 4608 column matrix and packs it again on every call). One function per layer shape:
 *
 * <pre>
 * void kiln_conv_plane_...(ptr x, ptr w, ptr bias, ptr y, ptr scratch, i64 p0, i64 p1)
 *   y[n][p][o] = bias[o] + sum over ky, kx, ci of x[n][iy][ix][ci] * W(ky, kx, ci, o) for output pixels p in [p0, p1)
 * </pre>
 *
 * {@code w} is the weight as {@code WeightPrepack} packs it for the GEMM (panels of {@code 2 * lanes} columns, each
 * [K][2 * lanes], K = kh*kw*c in (ky, kx, ci) order). A padded layer first copies the image into {@code scratch}
 * with its zero border, so no tap needs a test. Then per block of {@link #VECTORS} vectors of output channels (two panels) and
 * per tap (ky, kx), every block of 6 pixels keeps 6 x 4
 * accumulators in registers over the input channels: per channel 4 weight vectors and one broadcast input value per
 * pixel, 24 FMAs. The tap is the outer loop so the 64 columns x c weights of one
 * tap (128 KB for c = 512) stay in L2 across the pixel blocks; y holds the partial sums between taps (it starts as the
 * bias). Pixels past the last whole block of the share go one at a time.
 *
 * <p>Off with {@code -Dkiln.llvm.planeConv=false} (the im2col + GEMM path), for measuring.
 */
public final class SmallPlaneConvEmitter {
  /** Vectors of output channels per block. */
  public static final int VECTORS = 4;

  /** Most output pixels (n*oh*ow: batch 1 only for 7x7, where the GEMM has fewest rows) for which the kernel is used. */
  public static final int MAX_PLANE = 64;

  /** Fewest input channels: below, the channel loop is too short to hide the accumulator loads and stores per tap. */
  public static final int MIN_CHANNELS = 64;

  /** Whether the kernel is used ({@code kiln.llvm.planeConv}, default true; read at each compile). */
  public static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.planeConv")); }

  private final LlvmModule m;
  private final int lanes;
  private final Map<String, LLVMValueRef> fns = new HashMap<>();

  public SmallPlaneConvEmitter(LlvmModule m, int lanes) {
    this.m = m;
    this.lanes = lanes;
  }

  /**
   * Whether a convolution with ConvParams {@code q} goes to this kernel: channels-last, one group, dilation 1, not a
   * stride-1 unpadded 1x1 (that is one GEMM over x itself, with its epilogue fused into the store), its
   * weight packed in panels of {@code packedNr = 2 * lanes} columns (AVX-512: 32), oc a multiple of two panels, at
   * least {@link #MIN_CHANNELS} input channels, at most {@link #MAX_PLANE} output pixels in all, and the padded
   * image no larger than the im2col scratch the backend reserves for the layer.
   */
  public static boolean applies(int[] q, boolean nhwc, int lanes, int packedNr) {
    int c = q[1], h = q[2], w = q[3], oc = q[4], kh = q[5], kw = q[6], ph = q[9], pw = q[10], oh = q[14], ow = q[15];
    boolean padded = ph > 0 || pw > 0;
    boolean pointwise = kh == 1 && kw == 1 && q[7] == 1 && q[8] == 1 && !padded;
    long padFloats = padded ? (long) (h + 2 * ph) * (w + 2 * pw) * c : 0;
    return enabled() && nhwc && !pointwise && lanes == 16 && packedNr == 2 * lanes && q[13] == 1 && q[11] == 1 && q[12] == 1
        && c >= MIN_CHANNELS && oc % (VECTORS * lanes) == 0 && (long) q[0] * oh * ow <= MAX_PLANE
        && padFloats <= (long) c * kh * kw * oh * ow;
  }

  /**
   * Pixels per register block: 6 x 4 accumulators + 4 weight vectors + a broadcast fit the 32 zmm registers; with 7
   * (28 accumulators) LLVM spilled the accumulators to the stack in the channel loop (3x slower).
   */
  public static int blockPixels(int plane) { return 6; }

  /** Emits a call for output pixels [p0, p1) of every image, defining the layer's function on first use. */
  public void call(IrBuilder b, int[] q, LLVMValueRef x, LLVMValueRef w, LLVMValueRef bias, LLVMValueRef y,
      LLVMValueRef scratch, LLVMValueRef p0, LLVMValueRef p1) {
    String name = "kiln_conv_plane_" + String.join("_", java.util.Arrays.stream(q).mapToObj(Integer::toString).toList())
        + (bias == null ? "" : "_b");
    LLVMValueRef fn = fns.computeIfAbsent(name, k -> emit(k, q, bias != null));
    b.call(fn, type(), x, w, bias == null ? b.zero(m.ptr()) : bias, y, scratch, p0, p1);
  }

  private LLVMTypeRef type() {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    return m.fnType(m.voidType(), p, p, p, p, p, i64, i64);
  }

  private LLVMValueRef emit(String name, int[] q, boolean hasBias) {
    LLVMValueRef fn = m.addFunction(name, type());
    for (int i = 0; i < 5; i++) m.bufferParam(fn, i, 4);
    m.addFunctionAttr(fn, "noinline");
    m.makeInternal(fn);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      new Body(b, q, hasBias).emit();
      b.retVoid();
    }
    return fn;
  }

  private final class Body {
    final IrBuilder b;
    final int n, c, h, w, oc, kh, kw, sh, sw, ph, pw, oh, ow, k, hp, wp, nr;
    final boolean hasBias, padded;
    final LLVMTypeRef f32 = m.f32(), vt;
    final LLVMValueRef x, wt, bias, y, scratch;

    Body(IrBuilder b, int[] q, boolean hasBias) {
      this.b = b;
      n = q[0]; c = q[1]; h = q[2]; w = q[3]; oc = q[4]; kh = q[5]; kw = q[6]; sh = q[7]; sw = q[8]; ph = q[9];
      pw = q[10]; oh = q[14]; ow = q[15];
      k = c * kh * kw;
      padded = ph > 0 || pw > 0;
      hp = h + 2 * ph;
      wp = w + 2 * pw;
      nr = 2 * lanes;
      this.hasBias = hasBias;
      vt = m.vec(f32, lanes);
      x = b.param(0);
      wt = b.param(1);
      bias = b.param(2);
      y = b.param(3);
      scratch = b.param(4);
    }

    void emit() {
      LLVMValueRef p0 = b.param(5), p1 = b.param(6);
      int r = blockPixels(oh * ow);
      // whole blocks of r pixels from p0, then single pixels up to p1
      LLVMValueRef blocksEnd = b.add(p0, b.mul(LLVMBuildSDivExact(b.sub(p1, p0), r), b.i64(r)));
      IrBuilder.Loop img = b.loop("n", b.i64(0), b.i64(n), b.i64(1));
      LLVMValueRef xImg = b.gep(f32, x, b.mul(img.iv(), b.i64((long) h * w * c)));
      LLVMValueRef src = xImg;
      if (padded) {
        padCopy(xImg);
        src = scratch;
      }
      LLVMValueRef yImg = b.gep(f32, y, b.mul(img.iv(), b.i64((long) oh * ow * oc)));
      IrBuilder.Loop cb = b.loop("cb", b.i64(0), b.i64(oc / (VECTORS * lanes)), b.i64(1));
      LLVMValueRef col0 = b.mul(cb.iv(), b.i64((long) VECTORS * lanes));
      // the two panels of this block of columns
      LLVMValueRef w0 = b.gep(f32, wt, b.mul(b.mul(cb.iv(), b.i64(2)), b.i64((long) k * nr)));
      LLVMValueRef w1 = b.gep(f32, w0, b.i64((long) k * nr));
      fillBias(yImg, col0, p0, p1);
      IrBuilder.Loop ky = b.loop("ky", b.i64(0), b.i64(kh), b.i64(1));
      IrBuilder.Loop kx = b.loop("kx", b.i64(0), b.i64(kw), b.i64(1));
      LLVMValueRef tap = b.add(b.mul(ky.iv(), b.i64(kw)), kx.iv());
      LLVMValueRef xTap = b.gep(f32, src, b.mul(b.add(b.mul(ky.iv(), b.i64(padded ? wp : w)), kx.iv()), b.i64(c)));
      LLVMValueRef wTap0 = b.gep(f32, w0, b.mul(tap, b.i64((long) c * nr)));
      LLVMValueRef wTap1 = b.gep(f32, w1, b.mul(tap, b.i64((long) c * nr)));
      IrBuilder.Loop pb = b.loop("pb", p0, blocksEnd, b.i64(r));
      block(pb.iv(), r, xTap, wTap0, wTap1, yImg, col0);
      b.endLoop(pb);
      IrBuilder.Loop ps = b.loop("ps", blocksEnd, p1, b.i64(1));
      block(ps.iv(), 1, xTap, wTap0, wTap1, yImg, col0);
      b.endLoop(ps);
      b.endLoop(kx);
      b.endLoop(ky);
      b.endLoop(cb);
      b.endLoop(img);
    }

    private LLVMValueRef LLVMBuildSDivExact(LLVMValueRef a, int d) {
      return org.bytedeco.llvm.global.LLVM.LLVMBuildSDiv(b.raw(), a, b.i64(d), "");
    }

    /** scratch[(iy + ph) * wp + ix + pw][ci] = x[iy][ix][ci], zero border. */
    private void padCopy(LLVMValueRef xImg) {
      IrBuilder.Loop i = b.loop("zi", b.i64(0), b.i64((long) hp * wp * c), b.i64(1));
      b.store(b.f32(0f), b.gep(f32, scratch, i.iv()), 4);
      b.endLoop(i);
      IrBuilder.Loop iy = b.loop("cy", b.i64(0), b.i64(h), b.i64(1));
      IrBuilder.Loop ix = b.loop("cx", b.i64(0), b.i64((long) w * c), b.i64(1));
      LLVMValueRef v = b.load(f32, b.gep(f32, xImg, b.add(b.mul(iy.iv(), b.i64((long) w * c)), ix.iv())), 4);
      LLVMValueRef to = b.add(b.mul(b.add(iy.iv(), b.i64(ph)), b.i64((long) wp * c)), b.add(ix.iv(), b.i64((long) pw * c)));
      b.store(v, b.gep(f32, scratch, to), 4);
      b.endLoop(ix);
      b.endLoop(iy);
    }

    /** y[p][col0 .. col0+64) = bias (or 0) for p in [p0, p1). */
    private void fillBias(LLVMValueRef yImg, LLVMValueRef col0, LLVMValueRef p0, LLVMValueRef p1) {
      List<LLVMValueRef> init = new ArrayList<>();
      for (int v = 0; v < VECTORS; v++)
        init.add(hasBias ? b.load(vt, b.gep(f32, bias, b.add(col0, b.i64((long) v * lanes))), 4) : b.zero(vt));
      IrBuilder.Loop p = b.loop("bp", p0, p1, b.i64(1));
      LLVMValueRef yPix = b.gep(f32, yImg, b.add(b.mul(p.iv(), b.i64(oc)), col0));
      for (int v = 0; v < VECTORS; v++) b.store(init.get(v), b.gep(f32, yPix, b.i64((long) v * lanes)), 4);
      b.endLoop(p);
    }

    /** Pixels p .. p+r-1 at one tap: accumulators from y, the channel loop, back to y. */
    private void block(LLVMValueRef p, int r, LLVMValueRef xTap, LLVMValueRef wTap0, LLVMValueRef wTap1,
        LLVMValueRef yImg, LLVMValueRef col0) {
      LLVMValueRef[] xPix = new LLVMValueRef[r], yPix = new LLVMValueRef[r];
      List<LLVMValueRef> init = new ArrayList<>();
      for (int i = 0; i < r; i++) {
        LLVMValueRef pi = b.add(p, b.i64(i));
        LLVMValueRef oy = org.bytedeco.llvm.global.LLVM.LLVMBuildUDiv(b.raw(), pi, b.i64(ow), "");
        LLVMValueRef ox = b.sub(pi, b.mul(oy, b.i64(ow)));
        // top-left tap of the pixel in the (padded) image: (oy*sh, ox*sw) there
        LLVMValueRef at = padded ? b.add(b.mul(b.mul(oy, b.i64(sh)), b.i64(wp)), b.mul(ox, b.i64(sw)))
            : b.add(b.mul(b.sub(b.mul(oy, b.i64(sh)), b.i64(ph)), b.i64(w)), b.sub(b.mul(ox, b.i64(sw)), b.i64(pw)));
        xPix[i] = b.gep(f32, xTap, b.mul(at, b.i64(c)));
        yPix[i] = b.gep(f32, yImg, b.add(b.mul(pi, b.i64(oc)), col0));
        for (int v = 0; v < VECTORS; v++) init.add(b.load(vt, b.gep(f32, yPix[i], b.i64((long) v * lanes)), 4));
      }
      IrBuilder.Loop ci = b.loop("ci", b.i64(0), b.i64(c), b.i64(1), init);
      LLVMValueRef[] wv = new LLVMValueRef[VECTORS];
      LLVMValueRef row0 = b.gep(f32, wTap0, b.mul(ci.iv(), b.i64(nr))), row1 = b.gep(f32, wTap1, b.mul(ci.iv(), b.i64(nr)));
      for (int v = 0; v < VECTORS; v++)
        wv[v] = b.load(vt, b.gep(f32, v < 2 ? row0 : row1, b.i64((long) (v % 2) * lanes)), 4);
      List<LLVMValueRef> next = new ArrayList<>(ci.values());
      for (int i = 0; i < r; i++) {
        LLVMValueRef xs = b.splat(b.load(f32, b.gep(f32, xPix[i], ci.iv()), 4), lanes);
        for (int v = 0; v < VECTORS; v++) next.set(i * VECTORS + v, b.fma(xs, wv[v], next.get(i * VECTORS + v)));
      }
      b.endLoop(ci, next);
      for (int i = 0; i < r; i++)
        for (int v = 0; v < VECTORS; v++) b.store(ci.values().get(i * VECTORS + v), b.gep(f32, yPix[i], b.i64((long) v * lanes)), 4);
    }
  }
}
