package dev.kiln.runtime.nativelib;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.QuantGemmNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A quantized linear or convolution run whole by one native routine of the LLVM module ({@code kiln_q8_linear}:
 * linear_dynamic's quantization of x, the product and the epilogue; {@code kiln_q8_conv}: padding, u8 patches, product
 * and requantization), with what {@link QuantGemmNode} fixes at init (zero points, multipliers, int32 bias, column
 * sums) in native buffers and the weights packed once in the layout the routine reads. Java only fills in the input
 * and output addresses and calls it: x is read where it lies when it is a native tensor (the executor's buffers).
 *
 * <p>Argument blocks (8-byte slots, in this order; see codegen-llvm {@code quant.Int8LinearIr} / {@code Int8ConvIr}):
 * linear {@code x y b cw wz mult biasf biasq scratch sstride slots rows k n nb kq dyn xor x0 zp lo hi coff soff}; conv
 * {@code x y w offs wz fix mult scratch sstride slots imgs groups c h wd hp wp oh ow nbr sh sw ph pw og og4 kq pc xor pad
 * zp lo hi boff poff coff gstride np flat posoff chan}. Scratch: one slot per thread (at most {@link #SLOTS}; further threads of a gang do
 * nothing), allocated on the first run. Not thread-safe (the executor's run is synchronized).
 */
final class Int8Node {
  static final String LINEAR = "kiln_q8_linear", CONV = "kiln_q8_conv";
  /**
   * The convolution routine that also runs the channel-panel form (slot {@code chan}; codegen-llvm
   * {@code quant.Int8ConvChanIr}); plans naming {@link #CONV} never get it.
   */
  static final String CONVC = "kiln_q8_convc";
  static final int SLOTS = Math.min(8, Math.max(1, Runtime.getRuntime().availableProcessors()));



  private final QuantGemmNode node;
  private final QuantGemmNode.Spec sp;
  private final MethodHandle fn;
  private final Arena arena;
  private final MemorySegment args, y;
  private MemorySegment in;
  private final long scratchBytes;
  private boolean scratched;
  private final long work;
  private final String what;
  /** Index of x among the reference graph's parameters. */
  private final int xParam;

  Int8Node(String symbol, Graph g, Map<String, Tensor> weights, MethodHandle fn, Arena arena, String what) {
    this.node = new QuantGemmNode(g, weights);
    this.sp = node.spec();
    this.fn = fn;
    this.arena = arena;
    this.what = what;
    this.work = node.work();
    this.xParam = g.params().indexOf(dev.kiln.runtime.interp.QuantCall.single(g).operand(0));
    boolean conv = symbol.equals(CONV) || symbol.equals(CONVC);
    if (conv != sp.conv()) throw new IllegalArgumentException(what + ": routine " + symbol + " does not run " + g.name());
    y = NativeBuffers.scratch(arena, Tensor.numel(sp.outShape()) * (sp.dynamic() ? 4 : 1));
    long[] slots = conv ? convArgs(symbol.equals(CONVC)) : linearArgs();
    scratchBytes = slots[conv ? 8 : 9] * SLOTS;
    args = arena.allocate(8L * slots.length, 8);
    for (int i = 0; i < slots.length; i++) args.setAtIndex(ValueLayout.JAVA_LONG, i, slots[i]);
    args.set(ValueLayout.ADDRESS, 8, y);
  }

  private MemorySegment ints(int[] v) {
    MemorySegment s = NativeBuffers.scratch(arena, 4L * Math.max(1, v.length));
    MemorySegment.copy(v, 0, s, ValueLayout.JAVA_INT, 0, v.length);
    return s;
  }

  private MemorySegment floats(float[] v) {
    MemorySegment s = NativeBuffers.scratch(arena, 4L * Math.max(1, v.length));
    MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
    return s;
  }

  private MemorySegment bytes(byte[] v) {
    MemorySegment s = NativeBuffers.scratch(arena, v.length);
    MemorySegment.copy(v, 0, s, ValueLayout.JAVA_BYTE, 0, v.length);
    return s;
  }

  private static long align(long v) { return (v + 63) & ~63L; }

  private long[] linearArgs() {
    int n = sp.n(), k = sp.k(), kq = node.paddedDepth() / 4, kp = 4 * kq, ldc = node.ldc(), nb = ldc / 16;
    byte[] w = node.weights(0), packed = new byte[Math.multiplyExact(nb * 64, kq)];
    for (int j = 0; j < n; j++)
      for (int p = 0; p < k; p++) packed[((j / 16) * kq + p / 4) * 64 + (j % 16) * 4 + p % 4] = w[j * k + p];
    long coff = align(4L * kp), soff = coff + 16L * ldc, sstride = align(soff + 16);
    int ox = sp.unsigned() ? 0 : 128;
    return new long[] {0, 0, bytes(packed).address(), ints(sp.colSums()).address(), ints(sp.wz()).address(),
        floats(sp.mult()).address(), floats(sp.biasF() == null ? new float[n] : sp.biasF()).address(),
        ints(sp.biasQ() == null ? new int[n] : sp.biasQ()).address(), 0, sstride, SLOTS, node.rows(), k, n, nb, kq,
        sp.dynamic() ? 1 : 0, ox, sp.xz() + ox, sp.outZp(), sp.lo(), sp.hi(), coff, soff};
  }

  /**
   * Whether a convolution takes the channel-panel form: one group, and the 16-lane position panels of an image
   * ({@code ceil(m / 16)}, m = oh ow) waste more than an eighth of their lanes and at least twice the share the
   * 16-channel panels waste (a 7x7 output: 49 of 64 lanes). {@code -Dkiln.llvm.int8.chanPanels=always} takes it
   * whenever allowed (tests), {@code false} never.
   */
  static boolean chanPanels(int groups, long m, int og) {
    String p = System.getProperty("kiln.llvm.int8.chanPanels", "");
    if (groups != 1 || p.equals("false")) return false;
    if (p.equals("always")) return true;
    long lanes = Math.ceilDiv(m, 16) * 16, chans = Math.ceilDiv(og, 16) * 16;
    return (lanes - m) * 8 > lanes && (lanes - m) * chans > 2 * (chans - og) * lanes;
  }

  private static int[] pad16(int[] v) { return Arrays.copyOf(v, Math.ceilDiv(Math.max(1, v.length), 16) * 16); }

  private long[] convArgs(boolean chanOk) {
    int[] cv = sp.conv2d();
    int sh = cv[0], sw = cv[1], ph = cv[2], pw = cv[3], dh = cv[4], dw = cv[5], kh = cv[6], kw = cv[7];
    long[] is = sp.inShape(), os = sp.outShape();
    int c = (int) is[1], h = (int) is[2], wd = (int) is[3], oh = (int) os[2], ow = (int) os[3], groups = sp.groups();
    int og = sp.n() / groups, og4 = Math.ceilDiv(og, 4) * 4, k = sp.k(), kq = Math.max(1, Math.ceilDiv(k, 4)), kp = 4 * kq;
    int hp = h + 2 * ph, wp = wd + 2 * pw, nbr = Math.ceilDiv(ow, 16), cg = c / groups;
    boolean chan = chanOk && chanPanels(groups, (long) oh * ow, og);
    if (chan) og4 = Math.ceilDiv(og, 16) * 16; // channel panels, then the row of ones
    long gstride = (long) (og4 + 1) * kp;
    byte[] wb = new byte[Math.toIntExact(gstride * groups)];
    if (chan) {
      byte[] w = node.weights(0);
      for (int j = 0; j < og; j++)
        for (int p = 0; p < k; p++) wb[((j / 16) * kq + p / 4) * 64 + (j % 16) * 4 + p % 4] = w[j * k + p];
      for (int p = 0; p < k; p++) wb[og4 * kp + p] = 1;
    }
    for (int g = 0; g < (chan ? 0 : groups); g++) {
      byte[] w = node.weights(g);
      long base = g * gstride;
      for (int j = 0; j < og; j++) System.arraycopy(w, j * k, wb, (int) (base + (long) j * kp), k);
      for (int p = 0; p < k; p++) wb[(int) (base + (long) og4 * kp + p)] = 1; // the row of ones: patch sums
    }
    long[] offs = new long[kp];
    for (int p = 0; p < k; p++) {
      int ic = p / (kh * kw), ky = p / kw % kh, kx = p % kw;
      offs[p] = ((long) ic * hp + (long) ky * dh) * wp + (long) kx * dw;
    }
    MemorySegment offSeg = NativeBuffers.scratch(arena, 8L * kp);
    MemorySegment.copy(offs, 0, offSeg, ValueLayout.JAVA_LONG, 0, kp);
    int ox = sp.unsigned() ? 0 : 128, x0 = sp.xz() + ox;
    int[] fix = new int[sp.n()];
    for (int o = 0; o < fix.length; o++)
      fix[o] = k * x0 * sp.wz()[o] - x0 * sp.colSums()[o] + (sp.biasQ() == null ? 0 : sp.biasQ()[o]);
    long pc = Math.max(1, Math.min(64, (1L << 19) / (kq * 64L)));
    long m = (long) oh * ow, flatPanels = Math.ceilDiv(m, 16), rowPanels = (long) oh * nbr;
    // Flat panels by vector loads per output row (two rows at most when rows are at least 16 long, four when 6 to 15;
    // stride 1 or 2), else lane by lane when per-row panels waste more than a quarter of the lanes; else per row.
    boolean split = !"false".equals(System.getProperty("kiln.llvm.int8.split")) && (sw == 1 || sw == 2) && rowPanels > flatPanels;
    int mode = split && ow >= 16 ? 2 : split && ow >= 6 ? 3 : rowPanels * 4 > flatPanels * 5 || chan ? 1 : 0;
    boolean flat = mode == 1;
    long np = mode == 0 ? rowPanels : flatPanels;
    long[] lanes = new long[flat ? Math.toIntExact(np * 16) : 1];
    if (flat)
      for (int q = 0; q < lanes.length; q++) {
        long qq = Math.min(q, m - 1); // lanes past the end read a valid position and are never stored
        lanes[q] = qq / ow * sh * wp + qq % ow * sw;
      }
    MemorySegment laneSeg = NativeBuffers.scratch(arena, 8L * lanes.length);
    MemorySegment.copy(lanes, 0, laneSeg, ValueLayout.JAVA_LONG, 0, lanes.length);
    long boff = align((long) c * hp * wp + (4L * sh + 2) * wp + 128L * sw + 256), poff = boff + pc * kq * 64, coff = align(poff + pc * 64),
        sstride = align(128 + coff + (chan ? 16L * 64 * 4 : 4L * 64) * pc); // int32 sums: 4 weight rows, or 16 positions x 64 channels
    return new long[] {0, 0, bytes(wb).address(), offSeg.address(), ints(pad16(sp.wz())).address(), ints(pad16(fix)).address(),
        floats(Arrays.copyOf(sp.mult(), Math.ceilDiv(sp.mult().length, 16) * 16)).address(), 0, sstride, SLOTS, is[0], groups, c, h, wd, hp, wp, oh, ow, nbr, sh, sw, ph, pw, og, og4,
        kq, pc, ox, x0 & 0xff, sp.outZp(), sp.lo(), sp.hi(), boff, poff, coff, gstride, np, mode, laneSeg.address(), chan ? 1 : 0};
  }

  /** Whether this is a {@code q.linear_dynamic} (f32 in and out). */
  boolean dynamic() { return sp.dynamic(); }

  private void ensureScratch() {
    if (!scratched) {
      args.set(ValueLayout.ADDRESS, 56 + (sp.conv() ? 0 : 8), NativeBuffers.scratch(arena, scratchBytes));
      scratched = true;
    }
  }

  /**
   * This node bound to fixed native buffers: a copy of the argument block with x = {@code params[x's parameter]} and
   * y = {@code out} ({@link Int8Direct}). Only linear_dynamic qualifies (f32 in and out: the executor's buffers; the
   * static ops' qu8/qi8 values are objects there); null when it does not, or when a size differs or x and y overlap
   * (the general path then runs).
   *
   * @param params per graph parameter, its f32 storage sliced to the buffer's bytes, or null
   * @param out the result's f32 storage sliced to its bytes, or null
   */
  Int8Direct direct(MemorySegment[] params, MemorySegment out) {
    if (!sp.dynamic() || sp.conv() || xParam < 0 || xParam >= params.length) return null;
    MemorySegment x = params[xParam];
    if (x == null || out == null || x.byteSize() != 4 * Tensor.numel(sp.inShape()) || out.byteSize() != 4 * Tensor.numel(sp.outShape())
        || Int8Direct.overlap(x, out)) return null;
    ensureScratch();
    MemorySegment a = arena.allocate(args.byteSize(), 8);
    a.copyFrom(args);
    a.set(ValueLayout.ADDRESS, 0, x);
    a.set(ValueLayout.ADDRESS, 8, out);
    return new Int8Direct(fn, a, work, what);
  }

  /** Runs the node; {@code inputs} as for the reference interpreter. */
  List<Object> run(List<Object> inputs, Int8Step.Gang gang) {
    ensureScratch();
    Tensor x = node.input(inputs);
    MemorySegment xs = x.isContiguous() ? x.segment() : null;
    if (xs == null || !xs.isNative()) {
      MemorySegment src = x.contiguous().segment();
      if (in == null) in = NativeBuffers.scratch(arena, src.byteSize());
      MemorySegment.copy(src, 0, in, 0, src.byteSize());
      xs = in;
    }
    args.set(ValueLayout.ADDRESS, 0, xs);
    try {
      gang.run(fn, args, work);
    } catch (Throwable t) {
      throw new KilnRuntimeException("native int8 node " + what + " failed: " + t, t);
    }
    return List.of(Tensor.of(sp.outType(), y, sp.outShape()));
  }
}
