package dev.kiln.runtime.nativelib;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.QuantCall;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;

/**
 * The int8 nodes besides linear and convolution that the LLVM module runs natively (codegen-llvm
 * {@code quant.Int8SimpleIr}): {@code q.add[_relu]} on qu8 (qnnpack's integer add), {@code q.max_pool2d},
 * {@code q.quantize_per_tensor} and {@code q.dequantize} per tensor, and through {@link Int8Extra} adaptive average pooling,
 * requantize, per-channel quantize, qi8 or mixed add and matmul. {@link #symbol} decides which reference graphs
 * qualify (one node on parameters, static shapes, the cases named); the instance computes the constants the reference
 * kernels compute ({@code QuantPoolKernels.add}'s multipliers and shift, the pooling window, scale and zero point) and
 * writes the argument block. One instance per executor; not thread-safe.
 */
public final class Int8Simple {
  public static final String ADD = "kiln_q8_add", MAXPOOL = "kiln_q8_maxpool", QUANTIZE = "kiln_q8_quantize",
      DEQUANTIZE = "kiln_q8_dequantize";

  private final Node node;
  /** Index among the graph's parameters of each operand. */
  private final int[] params;
  private final MethodHandle fn;
  private final MemorySegment args, out;
  private final long[] inShape, outShape;
  /** Operand count (1 or 2, their slots first in the block) and each operand's shape. */
  private final int ops;
  private final long[][] opShapes;
  private final DType outType;
  private final long work;
  private final String what;
  private final Arena arena;
  private MemorySegment copyA, copyB;

  /** The routine that runs reference graph {@code g}, or null when it stays on the interpreter. */
  public static String symbol(Graph g) { return symbol(g, Int8Extra.enabled()); }

  /** {@link #symbol}, with or without the routines of {@link Int8Extra} (ceil_mode max pools among them). */
  private static String symbol(Graph g, boolean extra) {
    Node n = QuantCall.single(g);
    if (n == null) return null;
    for (Value v : n.operands()) if (v.definingNode() != null || !(v.type() instanceof TensorType t) || !t.shape().isStatic()) return null;
    if (!(n.result(0).type() instanceof TensorType y) || !y.shape().isStatic() || Tensor.numel(y.shape().sizes()) == 0) return null;
    TensorType x = (TensorType) n.operand(0).type();
    return switch (n.op().name()) {
      case "q.add", "q.add_relu" -> {
        TensorType b = (TensorType) n.operand(1).type();
        if (!qu8(x) || !qu8(b) || !qu8(y) || !Arrays.equals(x.shape().sizes(), b.shape().sizes()))
          yield extra ? Int8Extra.symbol(n, x, y) : null; // qi8 or mixed: kiln_q8_addx
        float os = (float) (double) y.quant().scales().get(0);
        for (TensorType t : List.of(x, b)) {
          float s = (float) (double) t.quant().scales().get(0) / os;
          if (!(s >= 0x1p-14f && s < 0x1p8f)) yield null; // the interpreter reports it
        }
        yield ADD;
      }
      case "q.max_pool2d" -> (x.dtype() == DType.QU8 || x.dtype() == DType.QI8) && x.dtype() == y.dtype() && x.rank() >= 3
          && x.rank() == y.rank() && (extra || !n.attrBool("ceil_mode")) ? MAXPOOL : null;
      case "q.quantize_per_tensor" -> x.dtype() == DType.F32 && perTensor(y) ? QUANTIZE : null;
      case "q.dequantize" -> perTensor(x) && y.dtype() == DType.F32 ? DEQUANTIZE : null;
      default -> extra ? Int8Extra.symbol(n, x, y) : null;
    };
  }

  private static boolean qu8(TensorType t) { return t.dtype() == DType.QU8 && t.quant() != null && !t.quant().perChannel(); }

  private static boolean perTensor(TensorType t) {
    return (t.dtype() == DType.QU8 || t.dtype() == DType.QI8) && t.quant() != null && !t.quant().perChannel();
  }

  Int8Simple(String symbol, Graph g, MethodHandle fn, Arena arena, String what) {
    if (!symbol.equals(symbol(g, true))) throw new IllegalArgumentException(what + ": routine " + symbol + " does not run graph @" + g.name());
    this.node = QuantCall.single(g);
    params = node.operands().stream().mapToInt(v -> g.params().indexOf(v)).toArray();
    this.fn = fn;
    this.arena = arena;
    this.what = what;
    TensorType x = (TensorType) node.operand(0).type(), y = (TensorType) node.result(0).type();
    inShape = x.shape().sizes();
    outShape = y.shape().sizes();
    outType = y.dtype();
    long n = Tensor.numel(inShape);
    out = NativeBuffers.scratch(arena, Tensor.numel(outShape) * (outType == DType.F32 ? 4 : 1));
    boolean mine = List.of(ADD, MAXPOOL, QUANTIZE, DEQUANTIZE).contains(symbol);
    ops = symbol.equals(ADD) ? 2 : mine ? 1 : Int8Extra.operands(symbol);
    opShapes = node.operands().stream().limit(ops).map(v -> ((TensorType) v.type()).shape().sizes()).toArray(long[][]::new);
    long[] extra = mine ? null : Int8Extra.args(symbol, node, arena); // its last value is the work estimate
    long[] a = extra != null ? Arrays.copyOf(extra, extra.length - 1) : switch (symbol) {
      case ADD -> addArgs(x, (TensorType) node.operand(1).type(), y, n, node.op().name().endsWith("_relu"));
      case MAXPOOL -> poolArgs(x, y);
      case QUANTIZE -> {
        Quant q = y.quant();
        float inv = 1f / (float) (double) q.scales().get(0);
        yield new long[] {0, 0, n, bits(inv), bits((float) (long) q.zeroPoints().get(0)), QuantOps.qmin(y.dtype()), QuantOps.qmax(y.dtype())};
      }
      default -> {
        Quant q = x.quant();
        yield new long[] {0, 0, n, bits((float) (long) q.zeroPoints().get(0)), bits((float) (double) q.scales().get(0)), x.dtype() == DType.QI8 ? 1 : 0};
      }
    };
    work = extra != null ? extra[extra.length - 1] : symbol.equals(MAXPOOL) ? Tensor.numel(outShape) * node.attrInts("kernel_size").length * 4L : n;
    args = arena.allocate(8L * a.length, 8);
    for (int i = 0; i < a.length; i++) args.setAtIndex(ValueLayout.JAVA_LONG, i, a[i]);
    args.set(ValueLayout.ADDRESS, 8L * ops, out);
  }

  private static long bits(float f) { return Float.floatToRawIntBits(f) & 0xffffffffL; }

  /** QuantPoolKernels.add's qu8 constants. */
  private static long[] addArgs(TensorType x, TensorType b, TensorType y, long n, boolean relu) {
    float os = (float) (double) y.quant().scales().get(0);
    float as = (float) (double) x.quant().scales().get(0) / os, bs = (float) (double) b.quant().scales().get(0) / os;
    int exp = (Float.floatToRawIntBits(Math.max(as, bs)) >>> 23) - 127;
    int shift = 21 - exp;
    float mult = Float.intBitsToFloat((21 - exp + 127) << 23);
    int am = (int) Math.rint(as * mult), bm = (int) Math.rint(bs * mult);
    int xz = (int) (long) x.quant().zeroPoints().get(0), yz = (int) (long) b.quant().zeroPoints().get(0);
    int zpp = -(am * xz + bm * yz);
    int mask = (1 << shift) - 1, threshold = mask >>> 1;
    long zp = y.quant().zeroPoints().get(0);
    return new long[] {0, 0, 0, n, am, bm, zpp, shift & 31, mask, threshold, zp, relu ? zp : 0, 255};
  }

  private long[] poolArgs(TensorType x, TensorType y) {
    long[] k = pair("kernel_size");
    long[] s = node.attrIsNone("stride") || node.attrInts("stride").length == 0 ? k : pair("stride");
    long[] pad = pair("padding"), d = pair("dilation");
    int r = x.rank();
    long planes = Tensor.numel(inShape) / (inShape[r - 2] * inShape[r - 1]);
    return new long[] {0, 0, planes, inShape[r - 2], inShape[r - 1], outShape[r - 2], outShape[r - 1], k[0], k[1], s[0], s[1],
        pad[0], pad[1], d[0], d[1], x.dtype() == DType.QI8 ? 1 : 0, NativeBuffers.scratch(arena, 2 * outShape[r - 1] * Int8Node.SLOTS).address(),
        Int8Node.SLOTS};
  }

  private long[] pair(String name) {
    long[] v = node.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  /** Runs the node; {@code inputs} as for the reference interpreter. */
  List<Object> run(List<Object> inputs, Int8Step.Gang gang) {
    for (int i = 0; i < ops; i++) {
      Tensor t = (Tensor) inputs.get(params[i]);
      if (!Arrays.equals(t.shape(), opShapes[i])) throw new IllegalArgumentException(node.describe() + ": operand " + i + " has shape " + Tensor.dims(t.shape()) + ", expected " + Tensor.dims(opShapes[i]));
      MemorySegment s = t.segment();
      if (!s.isNative()) {
        MemorySegment c = i == 0 ? copyA : copyB;
        if (c == null) c = NativeBuffers.scratch(arena, s.byteSize());
        if (i == 0) copyA = c;
        else copyB = c;
        MemorySegment.copy(s, 0, c, 0, s.byteSize());
        s = c;
      }
      args.set(ValueLayout.ADDRESS, 8L * i, s);
    }
    try {
      gang.run(fn, args, work);
    } catch (Throwable t) {
      throw new KilnRuntimeException("native int8 node " + what + " failed: " + t, t);
    }
    return List.of(Tensor.of(outType, out, outShape));
  }
}
