package dev.kiln.codegen.llvm.conv;

import static org.bytedeco.llvm.global.LLVM.LLVMBuildFCmp;
import static org.bytedeco.llvm.global.LLVM.LLVMRealOGE;
import static org.bytedeco.llvm.global.LLVM.LLVMRealOLE;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Channels-last depthwise convolution (groups = c = oc, mobilenet_v2's 3x3 layers) in explicit vector IR. One
 * function per layer shape and epilogue:
 *
 * <pre>
 * void kiln_conv_dw_...(ptr x, ptr w, ptr bias, ptr y, ptr scratch, i64 oy0, i64 oy1, i64 xr0, i64 yr0)
 *   y[n][oy-yr0][ox][ch] = clamp(bias[ch] + sum over ky, kx of x[n][oy*sh-ph+ky-xr0][ox*sw-pw+kx][ch] * w[ch][ky][kx])
 *   for every image n and output row oy in [oy0, oy1) (a thread's share)
 * </pre>
 *
 * The row offsets {@code xr0}, {@code yr0} are 0 for a whole layer; a fused inverted-residual block
 * ({@code InvertedResidualEmitter}) passes a band of rows held in a small buffer: x rows from xr0 and y rows from yr0
 * (padding is still decided by the row's place in the whole image, h).
 *
 * The weights ([c][kh][kw]) are first copied tap-major into {@code scratch} ([kh*kw][c], 35 KB for 960 channels).
 * Then per output row, pixels go in blocks of {@link #blockPixels} along the row and, inside a block, per vector of
 * channels (the last one masked when c is not a multiple of the lanes): the block's accumulators start at the bias
 * and stay in registers over a ky loop (its range cut by the top and bottom padding once per row) whose body loads
 * the kw weight vectors of that row of taps and each input column the block touches once, (r-1)*sw + kw vector
 * loads for r*kw FMAs (stride 1: an input column serves kw pixels). Interior blocks, whose taps all lie inside the
 * row, are a loop with no padding test; the blocks at the left and right edges are emitted for their constant
 * position, so the columns in the padding are left out at compile time (exactly the zero contribution, NaN and
 * infinity in x included). The fused relu / relu6 ({@code lo}, {@code hi}) is applied to the accumulators before
 * their only store.
 *
 * <p>Off with {@code -Dkiln.llvm.dwConv=false} (the Kernel IR loop nest of {@code ConvExpansion}), for measuring.
 */
public final class DepthwiseConvEmitter {
  /** Whether the kernel is used ({@code kiln.llvm.dwConv}, default true; read at each compile). */
  public static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.dwConv")); }

  /** Largest kernel side handled (columns per block grow with it). */
  public static final int MAX_KERNEL = 11;

  private final LlvmModule m;
  private final int lanes;
  private final Map<String, LLVMValueRef> fns = new HashMap<>();

  /** @param lanes floats per vector of the target (16 with AVX-512, 8 with AVX2) */
  public DepthwiseConvEmitter(LlvmModule m, int lanes) {
    this.m = m;
    this.lanes = lanes;
  }

  /**
   * Whether a convolution with ConvParams {@code q} (n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow)
   * goes to this kernel: channels-last, depthwise (groups = c = oc), dilation 1, sides at most {@link #MAX_KERNEL}.
   * Its scratch is the kh*kw*c floats the backend already reserves for a channels-last depthwise convolution.
   */
  public static boolean applies(int[] q, boolean nhwc) {
    return enabled() && nhwc && q[13] == q[1] && q[4] == q[1] && q[11] == 1 && q[12] == 1 && q[5] <= MAX_KERNEL
        && q[6] <= MAX_KERNEL && q[7] >= 1 && q[8] >= 1;
  }

  /** Floats of scratch the kernel needs (the tap-major weights). */
  public static long scratchFloats(int[] q) { return (long) q[1] * q[5] * q[6]; }

  /**
   * Output pixels per register block: 8 accumulators with 32 vector registers (AVX-512), 4 with 16. (4, 6, 8 and 12
   * measured alike on the mobilenet_v2 shapes under load; the layers are bound by reading x and writing y.)
   */
  public int blockPixels() { return lanes >= 16 ? 8 : 4; }

  /**
   * Emits a call for output rows [oy0, oy1) of every image, defining the layer's function on first use.
   *
   * @param bias the bias pointer, or null for none
   * @param lo lower clamp bound of a fused relu / relu6 ({@code -inf} for none)
   * @param hi upper clamp bound ({@code +inf} for none)
   */
  public void call(IrBuilder b, int[] q, LLVMValueRef x, LLVMValueRef w, LLVMValueRef bias, LLVMValueRef y,
      LLVMValueRef scratch, float lo, float hi, LLVMValueRef oy0, LLVMValueRef oy1) {
    call(b, q, x, w, bias, y, scratch, lo, hi, oy0, oy1, b.i64(0), b.i64(0));
  }

  /**
   * As above for a band of rows held apart: {@code x} holds input rows from {@code xr0} on (rows the band's outputs
   * read), {@code y} output rows from {@code yr0} on.
   */
  public void call(IrBuilder b, int[] q, LLVMValueRef x, LLVMValueRef w, LLVMValueRef bias, LLVMValueRef y,
      LLVMValueRef scratch, float lo, float hi, LLVMValueRef oy0, LLVMValueRef oy1, LLVMValueRef xr0, LLVMValueRef yr0) {
    String name = "kiln_conv_dw_" + String.join("_", java.util.Arrays.stream(q).mapToObj(Integer::toString).toList())
        + (bias == null ? "" : "_b") + (lo == Float.NEGATIVE_INFINITY ? "" : "_lo" + Integer.toHexString(Float.floatToRawIntBits(lo)))
        + (hi == Float.POSITIVE_INFINITY ? "" : "_hi" + Integer.toHexString(Float.floatToRawIntBits(hi)));
    LLVMValueRef fn = fns.computeIfAbsent(name, k -> emit(k, q, bias != null, lo, hi));
    b.call(fn, type(), x, w, bias == null ? b.zero(m.ptr()) : bias, y, scratch, oy0, oy1, xr0, yr0);
  }

  private LLVMTypeRef type() {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    return m.fnType(m.voidType(), p, p, p, p, p, i64, i64, i64, i64);
  }

  private LLVMValueRef emit(String name, int[] q, boolean hasBias, float lo, float hi) {
    LLVMValueRef fn = m.addFunction(name, type());
    for (int i = 0; i < 5; i++) m.bufferParam(fn, i, 4);
    m.addFunctionAttr(fn, "noinline");
    m.makeInternal(fn);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      new Body(b, q, hasBias, lo, hi).emit();
      b.retVoid();
    }
    return fn;
  }

  /** The body of one layer's function. */
  private final class Body {
    final IrBuilder b;
    final int n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow, r, full;
    final boolean hasBias;
    final float lo, hi;
    final LLVMTypeRef f32 = m.f32(), vt = m.vec(m.f32(), lanes);
    final LLVMValueRef x, wt, bias, y, ws;

    Body(IrBuilder b, int[] q, boolean hasBias, float lo, float hi) {
      this.b = b;
      n = q[0]; c = q[1]; h = q[2]; w = q[3]; kh = q[5]; kw = q[6]; sh = q[7]; sw = q[8]; ph = q[9];
      pw = q[10]; oh = q[14]; ow = q[15];
      r = blockPixels();
      full = c / lanes * lanes;
      this.hasBias = hasBias;
      this.lo = lo;
      this.hi = hi;
      x = b.param(0);
      wt = b.param(1);
      bias = b.param(2);
      y = b.param(3);
      ws = b.param(4);
    }

    void emit() {
      copyWeights();
      // Interior pixels [oxA, oxB): every kx tap inside the row. Loop blocks of r of them; the pixels before and
      // after go in blocks of at most r at constant positions.
      int oxA = Math.min(ow, (pw + sw - 1) / sw);
      int oxB = Math.max(oxA, Math.min(ow, Math.floorDiv(w - kw + pw, sw) + 1));
      int blocks = (oxB - oxA) / r, tail = oxA + blocks * r;
      IrBuilder.Loop img = b.loop("n", b.i64(0), b.i64(n), b.i64(1));
      IrBuilder.Loop oy = b.loop("oy", b.param(5), b.param(6), b.i64(1));
      Row row = new Row(oy.iv(), img.iv());
      for (int ox = 0; ox < oxA; ox += r) block(row, b.i64(ox), ox, Math.min(r, oxA - ox));
      if (blocks > 0) {
        IrBuilder.Loop ox = b.loop("ox", b.i64(oxA), b.i64(tail), b.i64(r));
        block(row, ox.iv(), -1, r);
        b.endLoop(ox);
      }
      for (int ox = tail; ox < ow; ox += r) block(row, b.i64(ox), ox, Math.min(r, ow - ox));
      b.endLoop(oy);
      b.endLoop(img);
    }

    /** The per-row values: input row of ky = 0, its valid ky range, the image's x and the output row. */
    private final class Row {
      final LLVMValueRef iy0, kyLo, kyHi, xImg, yRow, xr0;

      Row(LLVMValueRef oy, LLVMValueRef img) {
        iy0 = b.sub(b.mul(oy, b.i64(sh)), b.i64(ph));
        kyLo = max(b.i64(0), b.sub(b.i64(0), iy0));
        kyHi = b.min(b.i64(kh), b.sub(b.i64(h), iy0));
        xr0 = b.param(7);
        xImg = b.gep(f32, x, b.mul(img, b.i64((long) h * w * c)));
        yRow = b.gep(f32, y, b.mul(b.sub(b.add(b.mul(img, b.i64(oh)), oy), b.param(8)), b.i64((long) ow * c)));
      }
    }

    /** ws[t*c + ch] = w[ch*kh*kw + t]. */
    private void copyWeights() {
      int taps = kh * kw;
      IrBuilder.Loop ch = b.loop("wc", b.i64(0), b.i64(c), b.i64(1));
      for (int t = 0; t < taps; t++) {
        LLVMValueRef v = b.load(f32, b.gep(f32, wt, b.add(b.mul(ch.iv(), b.i64(taps)), b.i64(t))), 4);
        b.store(v, b.gep(f32, ws, b.add(ch.iv(), b.i64((long) t * c))), 4);
      }
      b.endLoop(ch);
    }

    /**
     * Pixels ox0 .. ox0+cnt-1 of the row, every channel: full vectors in a loop, then the masked rest. With
     * {@code at >= 0} the block's position is that constant and columns outside the image are left out; with -1
     * every column is inside.
     */
    private void block(Row row, LLVMValueRef ox0, int at, int cnt) {
      if (full > 0) {
        IrBuilder.Loop cv = b.loop("cv", b.i64(0), b.i64(full), b.i64(lanes));
        channels(row, ox0, at, cnt, cv.iv(), null);
        b.endLoop(cv);
      }
      if (full < c) channels(row, ox0, at, cnt, b.i64(full), b.laneMask(lanes, b.i64(full), b.i64(c)));
    }

    /**
     * One vector of channels from ch0 ({@code mask}: the lanes below c, or null for all) for the block's pixels, the
     * accumulators carried over a ky loop on the row's valid range. (Unrolling ky for the rows with all taps inside
     * measured the same, ±4 %, for twice the code.)
     */
    private void channels(Row row, LLVMValueRef ox0, int at, int cnt, LLVMValueRef ch0, LLVMValueRef mask) {
      List<LLVMValueRef> init = new ArrayList<>();
      LLVMValueRef start = hasBias ? load(b.gep(f32, bias, ch0), mask) : b.zero(vt);
      for (int p = 0; p < cnt; p++) init.add(start);
      IrBuilder.Loop ky = b.loop("ky", row.kyLo, row.kyHi, b.i64(1), init);
      List<LLVMValueRef> next = new ArrayList<>(ky.values());
      taps(row, ky.iv(), ox0, at, cnt, ch0, mask, next);
      b.endLoop(ky, next);
      for (int p = 0; p < cnt; p++) {
        LLVMValueRef at0 = b.gep(f32, row.yRow, b.add(b.mul(b.add(ox0, b.i64(p)), b.i64(c)), ch0));
        LLVMValueRef v = clamp(ky.values().get(p));
        if (mask == null) b.store(v, at0, 4);
        else b.maskedStore(v, at0, mask, 4);
      }
    }

    /** acc[p] += the kw taps of row ky for each pixel p of the block (one load per input column). */
    private void taps(Row row, LLVMValueRef ky, LLVMValueRef ox0, int at, int cnt, LLVMValueRef ch0, LLVMValueRef mask,
        List<LLVMValueRef> acc) {
      LLVMValueRef wRow = b.gep(f32, ws, b.add(b.mul(ky, b.i64((long) kw * c)), ch0));
      LLVMValueRef[] wv = new LLVMValueRef[kw];
      for (int kx = 0; kx < kw; kx++) wv[kx] = load(b.gep(f32, wRow, b.i64((long) kx * c)), mask);
      // input column j of the block is ix = ox0*sw - pw + j; pixel p uses columns p*sw .. p*sw + kw - 1
      // (a constant block addresses its columns from the row start, so no pointer goes before the image)
      LLVMValueRef xRow = b.gep(f32, row.xImg, b.add(b.mul(b.mul(b.sub(b.add(row.iy0, ky), row.xr0), b.i64(w)), b.i64(c)), ch0));
      LLVMValueRef xCol0 = at >= 0 ? xRow : b.gep(f32, xRow, b.mul(b.sub(b.mul(ox0, b.i64(sw)), b.i64(pw)), b.i64(c)));
      int cols = (cnt - 1) * sw + kw;
      for (int j = 0; j < cols; j++) {
        int ix = at * sw - pw + j;
        if (at >= 0 && (ix < 0 || ix >= w)) continue;
        LLVMValueRef xv = null;
        for (int p = 0; p < cnt; p++) {
          int kx = j - p * sw;
          if (kx < 0 || kx >= kw) continue;
          if (xv == null) xv = load(b.gep(f32, xCol0, b.i64((long) (at >= 0 ? ix : j) * c)), mask);
          acc.set(p, b.fma(xv, wv[kx], acc.get(p)));
        }
      }
    }

    private LLVMValueRef load(LLVMValueRef ptr, LLVMValueRef mask) {
      return mask == null ? b.load(vt, ptr, 4) : b.maskedLoad(vt, ptr, mask, 4);
    }

    /**
     * {@code minimum(maximum(v, lo), hi)}, an infinite bound left out: two compare-and-selects, which are exactly the
     * intrinsics unless lo is -0 or hi is +0 (a zero of the other sign would pass), where the intrinsics are used.
     */
    private LLVMValueRef clamp(LLVMValueRef v) {
      boolean exact = Float.floatToRawIntBits(lo) != Float.floatToRawIntBits(-0f) && Float.floatToRawIntBits(hi) != 0;
      if (lo != Float.NEGATIVE_INFINITY) {
        LLVMValueRef l = b.splat(b.f32(lo), lanes);
        v = exact ? b.select(LLVMBuildFCmp(b.raw(), LLVMRealOLE, v, l, ""), l, v) : intrinsic("llvm.maximum", v, l);
      }
      if (hi != Float.POSITIVE_INFINITY) {
        LLVMValueRef u = b.splat(b.f32(hi), lanes);
        v = exact ? b.select(LLVMBuildFCmp(b.raw(), LLVMRealOGE, v, u, ""), u, v) : intrinsic("llvm.minimum", v, u);
      }
      return v;
    }

    private LLVMValueRef intrinsic(String base, LLVMValueRef a, LLVMValueRef c2) {
      LLVMTypeRef t = m.fnType(vt, vt, vt);
      return b.call(m.declare(base + ".v" + lanes + "f32", t), t, a, c2);
    }

    private LLVMValueRef max(LLVMValueRef p, LLVMValueRef q) { return b.select(b.lt(p, q), q, p); }
  }
}
