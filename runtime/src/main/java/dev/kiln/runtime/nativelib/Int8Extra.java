package dev.kiln.runtime.nativelib;

import dev.kiln.ir.DType;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The int8 nodes {@link Int8Simple} runs through the routines of codegen-llvm {@code quant.Int8AvgPoolIr},
 * {@code Int8RequantIr} and {@code Int8MatmulIr}: {@code q.adaptive_avg_pool2d}, {@code q.requantize},
 * {@code q.quantize_per_channel}, {@code q.add[_relu]} on qi8 or mixed operands, {@code q.relu}, {@code q.matmul} (per tensor, rank 2
 * or more, equal batch dims or one rank-2 operand). {@link #symbol} decides which nodes qualify; {@link #args} computes
 * what the reference kernels compute once per node (window bounds and multipliers, per-channel tables, add's
 * multipliers) and lays out the argument block (operand and result slots left for the caller).
 * {@code -Dkiln.llvm.int8Ops=false} (at compile time) leaves these nodes on the interpreter.
 */
final class Int8Extra {
  private Int8Extra() {}

  static final String AVGPOOL = "kiln_q8_avgpool", REQUANT = "kiln_q8_requant", ADDX = "kiln_q8_addx", MATMUL = "kiln_q8_matmul",
      RELU = "kiln_q8_relu";

  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.int8Ops")); }

  private static boolean q8(TensorType t) { return (t.dtype() == DType.QU8 || t.dtype() == DType.QI8) && t.quant() != null; }

  private static boolean perTensor(TensorType t) { return q8(t) && !t.quant().perChannel(); }

  private static float scale(TensorType t, int c) { return (float) (double) t.quant().scales().get(c); }

  private static long zp(TensorType t, int c) { return t.quant().zeroPoints().get(c); }

  /** The routine for node {@code n} (operands x and maybe b, result y, all static), or null. */
  static String symbol(Node n, TensorType x, TensorType y) {
    return switch (n.op().name()) {
      case "q.adaptive_avg_pool2d" -> perTensor(x) && x.dtype() == y.dtype() && (x.rank() == 3 || x.rank() == 4) && x.rank() == y.rank()
          && Tensor.numel(x.shape().sizes()) > 0 && outputSize(n, y) ? AVGPOOL : null;
      case "q.relu" -> perTensor(x) && x.dtype() == y.dtype() ? RELU : null;
      case "q.requantize" -> q8(x) && q8(y) && channels(x, y) != null ? REQUANT : null;
      case "q.quantize_per_channel" -> x.dtype() == DType.F32 && q8(y) && channels(x, y) != null ? REQUANT : null;
      case "q.add", "q.add_relu" -> {
        TensorType b = (TensorType) n.operand(1).type();
        if (!perTensor(x) || !perTensor(b) || !perTensor(y) || !Arrays.equals(x.shape().sizes(), b.shape().sizes())) yield null;
        if (intPath(x, y)) {
          for (TensorType t : new TensorType[] {x, b}) {
            float s = scale(t, 0) / scale(y, 0);
            if (!(s >= 0x1p-14f && s < 0x1p8f)) yield null; // the interpreter reports it
          }
        }
        yield ADDX;
      }
      case "q.matmul" -> {
        TensorType b = (TensorType) n.operand(1).type();
        yield perTensor(x) && perTensor(b) && perTensor(y) && matmulStrides(x, b, y) != null ? MATMUL : null;
      }
      default -> null;
    };
  }

  private static boolean intPath(TensorType x, TensorType y) { return x.dtype() == DType.QU8 && y.dtype() == DType.QU8; }

  private static long[] pair(Node n, String name) {
    long[] v = n.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  private static boolean outputSize(Node n, TensorType y) {
    if (n.attrIsNone("output_size")) return false;
    long[] o = pair(n, "output_size"), s = y.shape().sizes();
    return o.length == 2 && o[0] == s[s.length - 2] && o[1] == s[s.length - 1] && o[0] > 0 && o[1] > 0;
  }

  /**
   * {inner, ch} of the channel walk shared by requantize's two sides: a per-channel side's axis, or {numel, 1} when
   * both are per tensor; null when they are per channel on different axes or a table does not match its dim.
   */
  private static long[] channels(TensorType x, TensorType y) {
    long[] shape = y.shape().sizes();
    int axis = -1;
    for (TensorType t : new TensorType[] {x, y}) {
      if (t.quant() == null || !t.quant().perChannel()) continue;
      int a = t.quant().axis();
      if (a >= shape.length || shape[a] != t.quant().scales().size() || (axis >= 0 && a != axis)) return null;
      axis = a;
    }
    if (axis < 0) return new long[] {Math.max(1, Tensor.numel(shape)), 1};
    long inner = 1;
    for (int d = axis + 1; d < shape.length; d++) inner *= shape[d];
    return inner == 0 ? null : new long[] {inner, shape[axis]};
  }

  /** {batches, m, k, n, x batch stride, y batch stride}, or null when matmul's shapes are not a supported case. */
  private static long[] matmulStrides(TensorType x, TensorType b, TensorType y) {
    long[] xs = x.shape().sizes(), bs = b.shape().sizes(), ys = y.shape().sizes();
    if (xs.length < 2 || bs.length < 2) return null;
    long m = xs[xs.length - 2], k = xs[xs.length - 1], n = bs[bs.length - 1];
    if (k < 1 || bs[bs.length - 2] != k) return null;
    long[] xb = Arrays.copyOf(xs, xs.length - 2), bb = Arrays.copyOf(bs, bs.length - 2), batch;
    long xbs = m * k, ybs = k * n;
    if (Arrays.equals(xb, bb)) batch = xb;
    else if (bb.length == 0) {
      batch = xb;
      ybs = 0;
    } else if (xb.length == 0) {
      batch = bb;
      xbs = 0;
    } else return null;
    long[] want = Arrays.copyOf(batch, batch.length + 2);
    want[batch.length] = m;
    want[batch.length + 1] = n;
    if (!Arrays.equals(want, ys)) return null;
    return new long[] {Tensor.numel(batch), m, k, n, xbs, ybs};
  }

  static long bits(float f) { return Float.floatToRawIntBits(f) & 0xffffffffL; }

  /** The argument block's values (pointer slots for operands and result zero) and the work estimate at the end. */
  static long[] args(String symbol, Node n, Arena arena) {
    TensorType x = (TensorType) n.operand(0).type(), y = (TensorType) n.result(0).type();
    return switch (symbol) {
      case AVGPOOL -> avgPool(x, y, arena);
      case REQUANT -> requant(x, y, arena);
      case RELU -> {
        long n0 = Tensor.numel(x.shape().sizes());
        yield new long[] {0, 0, n0, zp(x, 0), x.dtype() == DType.QI8 ? 1 : 0, n0};
      }
      case ADDX -> addx(x, (TensorType) n.operand(1).type(), y, n.op().name().endsWith("_relu"));
      default -> {
        TensorType b = (TensorType) n.operand(1).type();
        long[] s = matmulStrides(x, b, y);
        long rows = s[0] * s[1];
        float inv = 1f / scale(y, 0);
        yield new long[] {0, 0, 0, rows, s[1], s[2], s[3], s[4], s[5], bits((float) zp(x, 0)), bits(scale(x, 0)), bits((float) zp(b, 0)),
            bits(scale(b, 0)), bits(inv), bits((float) zp(y, 0)), QuantOps.qmin(y.dtype()), QuantOps.qmax(y.dtype()),
            x.dtype() == DType.QI8 ? 1 : 0, b.dtype() == DType.QI8 ? 1 : 0, rows * s[2] * s[3]};
      }
    };
  }

  private static long[] avgPool(TensorType x, TensorType y, Arena arena) {
    long[] in = x.shape().sizes(), out = y.shape().sizes();
    int r = in.length, h = (int) in[r - 2], w = (int) in[r - 1], oh = (int) out[r - 2], ow = (int) out[r - 1];
    float sc = scale(x, 0);
    long z = zp(x, 0);
    boolean qnnpack = x.dtype() == DType.QU8 && !(h == oh && w == ow) && h % oh == 0 && w % ow == 0;
    MemorySegment rows = NativeBuffers.scratch(arena, 16L * oh), cols = NativeBuffers.scratch(arena, 16L * ow),
        mult = NativeBuffers.scratch(arena, 4L * oh * ow);
    for (int i = 0; i < oh; i++) {
      rows.setAtIndex(ValueLayout.JAVA_LONG, 2L * i, Math.floorDiv(i * h, oh));
      rows.setAtIndex(ValueLayout.JAVA_LONG, 2L * i + 1, -Math.floorDiv(-(i + 1) * h, oh));
    }
    for (int j = 0; j < ow; j++) {
      cols.setAtIndex(ValueLayout.JAVA_LONG, 2L * j, Math.floorDiv(j * w, ow));
      cols.setAtIndex(ValueLayout.JAVA_LONG, 2L * j + 1, -Math.floorDiv(-(j + 1) * w, ow));
    }
    for (int i = 0; i < oh; i++)
      for (int j = 0; j < ow; j++) {
        long dh = rows.getAtIndex(ValueLayout.JAVA_LONG, 2L * i + 1) - rows.getAtIndex(ValueLayout.JAVA_LONG, 2L * i);
        long dw = cols.getAtIndex(ValueLayout.JAVA_LONG, 2L * j + 1) - cols.getAtIndex(ValueLayout.JAVA_LONG, 2L * j);
        int size = (int) (dh * dw);
        // QuantPoolKernels.adaptiveAvgPool2d's multipliers: qnnpack's, or the inverse scale of the NHWC kernel
        float m = qnnpack ? sc / (sc * (float) size) : 1f / (1f / (sc / sc / size));
        mult.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * ow + j, m);
      }
    long planes = Tensor.numel(in) / ((long) h * w);
    return new long[] {0, 0, rows.address(), cols.address(), mult.address(), planes, h, w, oh, ow, z, QuantOps.qmin(x.dtype()),
        QuantOps.qmax(x.dtype()), qnnpack ? 1 : 0, x.dtype() == DType.QI8 ? 1 : 0, Tensor.numel(in)};
  }

  private static long[] requant(TensorType x, TensorType y, Arena arena) {
    long[] ic = channels(x, y);
    int ch = (int) ic[1];
    MemorySegment izp = NativeBuffers.scratch(arena, 8L * ch), iscd = NativeBuffers.scratch(arena, 8L * ch),
        izpf = NativeBuffers.scratch(arena, 4L * ch), iscf = NativeBuffers.scratch(arena, 4L * ch),
        oinv = NativeBuffers.scratch(arena, 4L * ch), ozpf = NativeBuffers.scratch(arena, 4L * ch);
    boolean inQ = x.dtype() != DType.F32, inPc = inQ && x.quant().perChannel(), outPc = y.quant().perChannel();
    for (int c = 0; c < ch; c++) {
      int oc = outPc ? c : 0;
      oinv.setAtIndex(ValueLayout.JAVA_FLOAT, c, 1f / scale(y, oc));
      ozpf.setAtIndex(ValueLayout.JAVA_FLOAT, c, (float) zp(y, oc));
      if (!inQ) continue;
      int xc = inPc ? c : 0;
      izp.setAtIndex(ValueLayout.JAVA_LONG, c, zp(x, xc));
      iscd.setAtIndex(ValueLayout.JAVA_DOUBLE, c, x.quant().scales().get(xc));
      izpf.setAtIndex(ValueLayout.JAVA_FLOAT, c, (float) zp(x, xc));
      iscf.setAtIndex(ValueLayout.JAVA_FLOAT, c, scale(x, xc));
    }
    long n = Tensor.numel(y.shape().sizes());
    return new long[] {0, 0, n, ic[0], ch, !inQ ? 0 : inPc ? 2 : 1, izp.address(), iscd.address(), izpf.address(), iscf.address(),
        oinv.address(), ozpf.address(), QuantOps.qmin(y.dtype()), QuantOps.qmax(y.dtype()), x.dtype() == DType.QI8 ? 1 : 0, n};
  }

  /** QuantPoolKernels.add's constants for both of its paths. */
  private static long[] addx(TensorType x, TensorType b, TensorType y, boolean relu) {
    float os = scale(y, 0), xs = scale(x, 0), bs = scale(b, 0);
    long z = zp(y, 0), n = Tensor.numel(x.shape().sizes());
    long lo = relu ? z : QuantOps.qmin(y.dtype()), hi = QuantOps.qmax(y.dtype());
    long am = 0, bm = 0, zpp = 0, shift = 0, mask = 0, thr = 0;
    boolean ip = intPath(x, y);
    if (ip) {
      float as = xs / os, bsr = bs / os;
      int exp = (Float.floatToRawIntBits(Math.max(as, bsr)) >>> 23) - 127;
      int sh = 21 - exp;
      float mult = Float.intBitsToFloat((21 - exp + 127) << 23);
      int ami = (int) Math.rint(as * mult), bmi = (int) Math.rint(bsr * mult);
      int zppi = -(ami * (int) zp(x, 0) + bmi * (int) zp(b, 0));
      int mk = (1 << sh) - 1;
      am = ami;
      bm = bmi;
      zpp = zppi;
      shift = sh & 31;
      mask = mk;
      thr = mk >>> 1;
    }
    return new long[] {0, 0, 0, n, bits(xs), bits((float) zp(x, 0)), bits(bs), bits((float) zp(b, 0)), bits(1f / os), bits((float) z), lo, hi,
        x.dtype() == DType.QI8 ? 1 : 0, b.dtype() == DType.QI8 ? 1 : 0, relu ? 1 : 0, ip ? 1 : 0, am, bm, zpp, shift, mask, thr, z, n};
  }

  /** Number of operand slots (1 or 2) at the start of the block; the result's slot follows them. */
  static int operands(String symbol) { return symbol.equals(ADDX) || symbol.equals(MATMUL) ? 2 : 1; }

}
