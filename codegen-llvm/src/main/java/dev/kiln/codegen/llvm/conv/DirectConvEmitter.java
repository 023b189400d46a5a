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
 * Direct channels-last convolution for layers with few input channels and at most four vectors of output channels
 * (a CNN's stem: resnet18's 7x7 stride-2 conv of 3 channels into 64), where im2col + GEMM spends as much time
 * copying a K = kh*kw*c (147) column matrix as multiplying it. One function per layer shape, in explicit vector IR:
 *
 * <pre>
 * void kiln_conv_direct_...(ptr x, ptr w, ptr bias, ptr y, ptr scratch, i64 oy0, i64 oy1)
 *   y[n][oy][ox][o] = bias[o] + sum over ky, kx, ci of x[n][oy*sh-ph+ky][ox*sw-pw+kx][ci] * w(ky, kx, ci, o)
 *   for every image n and output row oy in [oy0, oy1) (a thread's share)
 * </pre>
 *
 * First the weights are copied into {@code scratch} as [ky][kx][ci][oc] (from [oc][kh][kw][c], or from the panels
 * of {@code WeightPrepack}: {@code packedNr > 0}); that is K*oc floats (37 KB for the stem), a few microseconds.
 * Then per output row, interior pixels go in blocks of {@link #blockPixels} pixels: the blocks' pixels x oc/lanes
 * accumulators stay in registers over all taps (ky a loop with its range cut by the padding, kx and ci unrolled),
 * each tap loading oc/lanes weight vectors and broadcasting one input value per pixel. The pixels whose taps reach
 * into the left or right padding, and the remainder of a row, go one at a time with both tap ranges cut at run
 * time. No padded copy of the input, no column matrix.
 *
 * <p>Off with {@code -Dkiln.llvm.directConv=false} (the im2col + GEMM path), for measuring.
 */
public final class DirectConvEmitter {
  /** Whether direct convolutions are used ({@code kiln.llvm.directConv}, default true; read at each compile). */
  public static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.directConv")); }

  /** Most input channels for which the direct kernel is used: beyond, im2col + GEMM has a K worth blocking. */
  public static final int MAX_CHANNELS = 4;

  /** Most vectors of output channels (accumulators per pixel). */
  public static final int MAX_VECTORS = 4;

  private final LlvmModule m;
  private final int lanes;
  private final Map<String, LLVMValueRef> fns = new HashMap<>();

  /** @param lanes floats per vector of the target (16 with AVX-512, 8 with AVX2) */
  public DirectConvEmitter(LlvmModule m, int lanes) {
    this.m = m;
    this.lanes = lanes;
  }

  /**
   * Whether a convolution with ConvParams {@code q} (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow)
   * goes to the direct kernel: channels-last, one group, dilation 1, not pointwise, at most {@link #MAX_CHANNELS}
   * input channels, oc a multiple of the lanes and at most {@link #MAX_VECTORS} vectors, and oc <= oh*ow (the weight
   * copy fits in the im2col scratch the backend reserves for the layer).
   */
  public static boolean applies(int[] q, boolean nhwc, int lanes) {
    int c = q[1], oc = q[4], kh = q[5], kw = q[6];
    return enabled() && nhwc && q[13] == 1 && q[11] == 1 && q[12] == 1 && kh * kw > 1 && c <= MAX_CHANNELS
        && oc % lanes == 0 && oc / lanes <= MAX_VECTORS && oc <= q[14] * q[15];
  }

  /** Floats of scratch the kernel needs (the reordered weights). */
  public static long scratchFloats(int[] q) {
    return (long) q[1] * q[5] * q[6] * q[4];
  }

  /** Pixels per register block for {@code vectors} vectors of output channels (accumulators = pixels x vectors). */
  public static int blockPixels(int vectors) {
    return Math.max(1, Math.min(12, 24 / vectors));
  }

  /**
   * Emits a call for output rows [oy0, oy1) of every image, defining the layer's function on first use.
   *
   * @param bias the bias pointer, or null for none
   * @param packedNr the panel width when {@code w} was packed by {@code WeightPrepack}, else 0
   */
  public void call(IrBuilder b, int[] q, LLVMValueRef x, LLVMValueRef w, LLVMValueRef bias, LLVMValueRef y,
      LLVMValueRef scratch, int packedNr, LLVMValueRef oy0, LLVMValueRef oy1) {
    String name = "kiln_conv_direct_" + String.join("_", java.util.Arrays.stream(q).mapToObj(Integer::toString).toList())
        + (bias == null ? "" : "_b") + (packedNr > 0 ? "_pk" + packedNr : "");
    LLVMValueRef fn = fns.computeIfAbsent(name, k -> emit(k, q, bias != null, packedNr));
    LLVMValueRef nul = b.zero(m.ptr());
    b.call(fn, type(), x, w, bias == null ? nul : bias, y, scratch, oy0, oy1);
  }

  private LLVMTypeRef type() {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    return m.fnType(m.voidType(), p, p, p, p, p, i64, i64);
  }

  private LLVMValueRef emit(String name, int[] q, boolean hasBias, int packedNr) {
    LLVMValueRef fn = m.addFunction(name, type());
    for (int i = 0; i < 5; i++) m.bufferParam(fn, i, 4);
    m.addFunctionAttr(fn, "noinline");
    m.makeInternal(fn);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      new Body(b, q, hasBias, packedNr).emit();
      b.retVoid();
    }
    return fn;
  }

  /** The body of one layer's function. */
  private final class Body {
    final IrBuilder b;
    final int n, c, h, w, oc, kh, kw, sh, sw, ph, pw, oh, ow, k, vectors, packedNr;
    final boolean hasBias;
    final LLVMTypeRef f32 = m.f32(), vt = m.vec(m.f32(), lanes);
    final LLVMValueRef x, wt, bias, y, ws;

    Body(IrBuilder b, int[] q, boolean hasBias, int packedNr) {
      this.b = b;
      n = q[0]; c = q[1]; h = q[2]; w = q[3]; oc = q[4]; kh = q[5]; kw = q[6]; sh = q[7]; sw = q[8]; ph = q[9];
      pw = q[10]; oh = q[14]; ow = q[15];
      k = c * kh * kw;
      vectors = oc / lanes;
      this.hasBias = hasBias;
      this.packedNr = packedNr;
      x = b.param(0);
      wt = b.param(1);
      bias = b.param(2);
      y = b.param(3);
      ws = b.param(4);
    }

    void emit() {
      copyWeights();
      // Interior pixels [oxA, oxB): every kx tap inside the row. Blocks of R of them, the rest one at a time.
      int oxA = Math.min(ow, (pw + sw - 1) / sw);
      int oxB = Math.max(oxA, Math.min(ow, Math.floorDiv(w - kw + pw, sw) + 1));
      int r = blockPixels(vectors);
      int blocks = (oxB - oxA) / r;
      IrBuilder.Loop img = b.loop("n", b.i64(0), b.i64(n), b.i64(1));
      IrBuilder.Loop oy = b.loop("oy", b.param(5), b.param(6), b.i64(1));
      LLVMValueRef iy0 = b.sub(b.mul(oy.iv(), b.i64(sh)), b.i64(ph));
      LLVMValueRef kyLo = max(b.i64(0), b.sub(b.i64(0), iy0)), kyHi = b.min(b.i64(kh), b.sub(b.i64(h), iy0));
      LLVMValueRef xImg = b.gep(f32, x, b.mul(img.iv(), b.i64((long) h * w * c)));
      LLVMValueRef yRow = b.gep(f32, y, b.mul(b.add(b.mul(img.iv(), b.i64(oh)), oy.iv()), b.i64((long) ow * oc)));
      singles(b.i64(0), b.i64(oxA), xImg, yRow, iy0, kyLo, kyHi);
      if (blocks > 0) {
        IrBuilder.Loop ox = b.loop("ox", b.i64(oxA), b.i64(oxA + (long) blocks * r), b.i64(r));
        block(ox.iv(), r, xImg, yRow, iy0, kyLo, kyHi);
        b.endLoop(ox);
      }
      singles(b.i64(oxA + (long) blocks * r), b.i64(ow), xImg, yRow, iy0, kyLo, kyHi);
      b.endLoop(oy);
      b.endLoop(img);
    }

    /** ws[kk*oc + o] = W(kk, o), kk = (ky*kw + kx)*c + ci. */
    private void copyWeights() {
      if (packedNr > 0) {
        // panel j holds columns [j*nr, j*nr + nr) as [k][nr]
        for (int j = 0; j * packedNr < oc; j++) {
          int width = Math.min(packedNr, oc - j * packedNr);
          IrBuilder.Loop kk = b.loop("wk", b.i64(0), b.i64(k), b.i64(1));
          IrBuilder.Loop jj = b.loop("wj", b.i64(0), b.i64(width), b.i64(1));
          LLVMValueRef src = b.add(b.i64((long) j * k * packedNr), b.add(b.mul(kk.iv(), b.i64(packedNr)), jj.iv()));
          LLVMValueRef dst = b.add(b.mul(kk.iv(), b.i64(oc)), b.add(b.i64((long) j * packedNr), jj.iv()));
          b.store(b.load(f32, b.gep(f32, wt, src), 4), b.gep(f32, ws, dst), 4);
          b.endLoop(jj);
          b.endLoop(kk);
        }
        return;
      }
      IrBuilder.Loop o = b.loop("wo", b.i64(0), b.i64(oc), b.i64(1));
      IrBuilder.Loop kk = b.loop("wk", b.i64(0), b.i64(k), b.i64(1));
      LLVMValueRef v = b.load(f32, b.gep(f32, wt, b.add(b.mul(o.iv(), b.i64(k)), kk.iv())), 4);
      b.store(v, b.gep(f32, ws, b.add(b.mul(kk.iv(), b.i64(oc)), o.iv())), 4);
      b.endLoop(kk);
      b.endLoop(o);
    }

    /** Accumulators for one pixel: the bias vectors, or zeros. */
    private List<LLVMValueRef> initial() {
      List<LLVMValueRef> out = new ArrayList<>();
      for (int v = 0; v < vectors; v++)
        out.add(hasBias ? b.load(vt, b.gep(f32, bias, b.i64((long) v * lanes)), 4) : b.zero(vt));
      return out;
    }

    /** The weight vectors of tap kk (an i64 value). */
    private LLVMValueRef[] weights(LLVMValueRef kk) {
      LLVMValueRef row = b.gep(f32, ws, b.mul(kk, b.i64(oc)));
      LLVMValueRef[] wv = new LLVMValueRef[vectors];
      for (int v = 0; v < vectors; v++) wv[v] = b.load(vt, b.gep(f32, row, b.i64((long) v * lanes)), 4);
      return wv;
    }

    /** R interior pixels ox0 .. ox0+R-1: R x vectors accumulators, ky a loop, kx and ci unrolled. */
    private void block(LLVMValueRef ox0, int r, LLVMValueRef xImg, LLVMValueRef yRow, LLVMValueRef iy0,
        LLVMValueRef kyLo, LLVMValueRef kyHi) {
      List<LLVMValueRef> init = new ArrayList<>();
      List<LLVMValueRef> one = initial();
      for (int p = 0; p < r; p++) init.addAll(one);
      IrBuilder.Loop ky = b.loop("ky", kyLo, kyHi, b.i64(1), init);
      List<LLVMValueRef> acc = new ArrayList<>(ky.values());
      // x row iy = iy0 + ky, first input column of pixel ox0: ox0*sw - pw
      LLVMValueRef xRow = b.gep(f32, xImg, b.mul(b.add(b.mul(b.add(iy0, ky.iv()), b.i64(w)), b.sub(b.mul(ox0, b.i64(sw)), b.i64(pw))), b.i64(c)));
      LLVMValueRef tap0 = b.mul(ky.iv(), b.i64((long) kw * c));
      for (int kx = 0; kx < kw; kx++)
        for (int ci = 0; ci < c; ci++) {
          LLVMValueRef[] wv = weights(b.add(tap0, b.i64((long) kx * c + ci)));
          for (int p = 0; p < r; p++) {
            LLVMValueRef xs = b.splat(b.load(f32, b.gep(f32, xRow, b.i64(((long) p * sw + kx) * c + ci)), 4), lanes);
            for (int v = 0; v < vectors; v++) acc.set(p * vectors + v, b.fma(xs, wv[v], acc.get(p * vectors + v)));
          }
        }
      b.endLoop(ky, acc);
      for (int p = 0; p < r; p++) {
        LLVMValueRef yPix = b.gep(f32, yRow, b.mul(b.add(ox0, b.i64(p)), b.i64(oc)));
        for (int v = 0; v < vectors; v++) b.store(ky.values().get(p * vectors + v), b.gep(f32, yPix, b.i64((long) v * lanes)), 4);
      }
    }

    /** Pixels [from, to) one at a time, both tap ranges cut to the image at run time. */
    private void singles(LLVMValueRef from, LLVMValueRef to, LLVMValueRef xImg, LLVMValueRef yRow, LLVMValueRef iy0,
        LLVMValueRef kyLo, LLVMValueRef kyHi) {
      IrBuilder.Loop ox = b.loop("ox1", from, to, b.i64(1));
      LLVMValueRef ix0 = b.sub(b.mul(ox.iv(), b.i64(sw)), b.i64(pw));
      LLVMValueRef kxLo = max(b.i64(0), b.sub(b.i64(0), ix0)), kxHi = b.min(b.i64(kw), b.sub(b.i64(w), ix0));
      IrBuilder.Loop ky = b.loop("ky1", kyLo, kyHi, b.i64(1), initial());
      IrBuilder.Loop kx = b.loop("kx1", kxLo, kxHi, b.i64(1), ky.values());
      List<LLVMValueRef> acc = new ArrayList<>(kx.values());
      LLVMValueRef pix = b.gep(f32, xImg, b.mul(b.add(b.mul(b.add(iy0, ky.iv()), b.i64(w)), b.add(ix0, kx.iv())), b.i64(c)));
      LLVMValueRef tap0 = b.mul(b.add(b.mul(ky.iv(), b.i64(kw)), kx.iv()), b.i64(c));
      for (int ci = 0; ci < c; ci++) {
        LLVMValueRef[] wv = weights(b.add(tap0, b.i64(ci)));
        LLVMValueRef xs = b.splat(b.load(f32, b.gep(f32, pix, b.i64(ci)), 4), lanes);
        for (int v = 0; v < vectors; v++) acc.set(v, b.fma(xs, wv[v], acc.get(v)));
      }
      b.endLoop(kx, acc);
      b.endLoop(ky, kx.values());
      LLVMValueRef yPix = b.gep(f32, yRow, b.mul(ox.iv(), b.i64(oc)));
      for (int v = 0; v < vectors; v++) b.store(ky.values().get(v), b.gep(f32, yPix, b.i64((long) v * lanes)), 4);
      b.endLoop(ox);
    }

    private LLVMValueRef max(LLVMValueRef p, LLVMValueRef q) { return b.select(b.lt(p, q), q, p); }
  }
}
