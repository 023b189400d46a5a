package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One quantized element-wise or pooling node run on byte and float arrays instead of the reference kernels' long
 * arrays (the JVM backend's {@code QuantCalls} gives a reference call this class when {@link #accepts} its graph):
 * {@code q.quantize_per_tensor}, {@code q.dequantize}, {@code q.requantize} (per tensor), {@code q.add[_relu]},
 * {@code q.relu}, {@code q.max_pool2d}, {@code q.adaptive_avg_pool2d}. Each computes with the reference's
 * expressions ({@link QuantKernels#quantize}, {@link QuantNnKernels#cvtps}, {@code QuantPoolKernels}'s add constants
 * and pooling windows), so the results are the interpreter's bit for bit. The constants of a node are computed once in
 * the constructor. Thread-safe: {@link #run} allocates its result per call.
 */
public final class QuantOpCall {
  private final Node node;
  private final String op;
  private final int[] params;
  private final long[][] inShapes;
  private final long[] outShape;
  private final DType outType;
  private final boolean xSigned, ySigned;
  /** Input and output parameters (per tensor): scale, zero point, clamp range. */
  private final float xs, xzf, ys, yzf, inv, ozf;
  private final int xz, oz, lo, hi;
  /** add's integer path (qu8 x and result): multipliers, summed zero points, shift, mask, threshold. */
  private final boolean intAdd;
  private final int am, bm, zpp, shift, mask, thr;

  /** Whether {@code g} (one node on parameters, static shapes, per-tensor parameters) runs here. */
  public static boolean accepts(Graph g) {
    Node n = QuantCall.single(g);
    if (n == null) return false;
    for (Value v : n.operands()) if (v.definingNode() != null || !(v.type() instanceof TensorType t) || !t.shape().isStatic()) return false;
    if (!(n.result(0).type() instanceof TensorType y) || !y.shape().isStatic()) return false;
    TensorType x = (TensorType) n.operand(0).type();
    return switch (n.op().name()) {
      case "q.quantize_per_tensor" -> x.dtype() == DType.F32 && q8(y);
      case "q.dequantize" -> q8(x) && y.dtype() == DType.F32;
      case "q.requantize" -> q8(x) && q8(y);
      case "q.relu" -> q8(x) && x.dtype() == y.dtype();
      case "q.add", "q.add_relu" -> {
        TensorType b = (TensorType) n.operand(1).type();
        if (!q8(x) || !q8(b) || !q8(y) || !Arrays.equals(x.shape().sizes(), b.shape().sizes())) yield false;
        if (x.dtype() != DType.QU8 || y.dtype() != DType.QU8) yield true;
        for (TensorType t : new TensorType[] {x, b}) {
          float s = scale(t) / scale(y);
          if (!(s >= 0x1p-14f && s < 0x1p8f)) yield false; // the interpreter reports it
        }
        yield true;
      }
      case "q.max_pool2d", "q.adaptive_avg_pool2d" -> q8(x) && x.dtype() == y.dtype() && (x.rank() == 3 || x.rank() == 4) && x.rank() == y.rank()
          && Tensor.numel(x.shape().sizes()) > 0;
      default -> false;
    };
  }

  private static boolean q8(TensorType t) { return (t.dtype() == DType.QU8 || t.dtype() == DType.QI8) && t.quant() != null && !t.quant().perChannel(); }

  private static float scale(TensorType t) { return (float) (double) t.quant().scales().get(0); }

  private static int zp(TensorType t) { return (int) (long) t.quant().zeroPoints().get(0); }

  /** @throws IllegalArgumentException when {@code g} is not {@link #accepts accepted} */
  public QuantOpCall(Graph g, Map<String, Tensor> weights) {
    if (!accepts(g)) throw new IllegalArgumentException("graph @" + g.name() + " has no int8 element-wise kernel");
    node = QuantCall.single(g);
    op = node.op().name();
    params = node.operands().stream().mapToInt(v -> g.params().indexOf(v)).toArray();
    inShapes = node.operands().stream().map(v -> ((TensorType) v.type()).shape().sizes()).toArray(long[][]::new);
    TensorType x = (TensorType) node.operand(0).type(), y = (TensorType) node.result(0).type();
    TensorType b = node.numOperands() > 1 ? (TensorType) node.operand(1).type() : null;
    outShape = y.shape().sizes();
    outType = y.dtype();
    xSigned = x.dtype() == DType.QI8;
    ySigned = b != null && b.dtype() == DType.QI8;
    boolean xq = x.quant() != null, oq = y.quant() != null, relu = op.endsWith("relu") && !op.equals("q.relu");
    xs = xq ? scale(x) : 0f;
    xz = xq ? zp(x) : 0;
    xzf = xz;
    ys = b != null ? scale(b) : 0f;
    yzf = b != null ? zp(b) : 0;
    inv = oq ? 1f / scale(y) : 0f;
    oz = oq ? zp(y) : 0;
    ozf = oz;
    lo = oq ? (relu ? oz : (int) QuantOps.qmin(y.dtype())) : 0;
    hi = oq ? (int) QuantOps.qmax(y.dtype()) : 0;
    intAdd = b != null && x.dtype() == DType.QU8 && y.dtype() == DType.QU8;
    if (intAdd) { // QuantPoolKernels.add's constants
      float as = xs / scale(y), bs = ys / scale(y);
      int exp = (Float.floatToRawIntBits(Math.max(as, bs)) >>> 23) - 127;
      shift = 21 - exp;
      float mult = Float.intBitsToFloat((21 - exp + 127) << 23);
      am = (int) Math.rint(as * mult);
      bm = (int) Math.rint(bs * mult);
      zpp = -(am * xz + bm * zp(b));
      mask = (1 << shift) - 1;
      thr = mask >>> 1;
    } else {
      am = bm = zpp = shift = mask = thr = 0;
    }
  }

  private Tensor operand(List<Object> inputs, int i) {
    Tensor t = (Tensor) inputs.get(params[i]);
    DType want = ((TensorType) node.operand(i).type()).dtype();
    if (!Arrays.equals(t.shape(), inShapes[i]) || t.dtype() != want)
      throw new IllegalArgumentException(node.describe() + ": operand " + i + " is " + t.dtype() + Tensor.dims(t.shape()) + ", expected " + want + Tensor.dims(inShapes[i]));
    return t;
  }

  private int q(byte b, boolean signed) { return signed ? b : b & 0xff; }

  private byte quantize(float v) { return (byte) QuantKernels.quantize(v, inv, oz, lo, hi); }

  /** Runs the node on {@code inputs} (one value per graph parameter); returns its one result. */
  public List<Object> run(List<Object> inputs) {
    Tensor x = operand(inputs, 0);
    if (op.equals("q.quantize_per_tensor")) {
      float[] f = x.floatData();
      byte[] out = new byte[f.length];
      for (int i = 0; i < f.length; i++) out[i] = quantize(f[i]);
      return List.of(bytes(out));
    }
    byte[] a = QuantNodeParams.bytes(x);
    return List.of(switch (op) {
      case "q.dequantize" -> {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = ((float) q(a[i], xSigned) - xzf) * xs;
        yield Tensor.wrapFloats(out, outShape);
      }
      case "q.requantize" -> {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) out[i] = quantize(((float) q(a[i], xSigned) - xzf) * xs);
        yield bytes(out);
      }
      case "q.relu" -> {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (byte) Math.max(q(a[i], xSigned), xz);
        yield bytes(out);
      }
      case "q.add", "q.add_relu" -> bytes(add(a, QuantNodeParams.bytes(operand(inputs, 1))));
      case "q.max_pool2d" -> bytes(QuantPoolCalls.maxPool(node, a, xSigned, inShapes[0], outShape));
      default -> bytes(QuantPoolCalls.adaptiveAvgPool(a, xSigned, xs, xz, (int) QuantOps.qmin(outType), hi, inShapes[0], outShape));
    });
  }

  private Tensor bytes(byte[] out) { return Tensor.of(outType, MemorySegment.ofArray(out), outShape); }

  private byte[] add(byte[] a, byte[] b) {
    byte[] out = new byte[a.length];
    if (intAdd) {
      for (int i = 0; i < a.length; i++) {
        int acc = zpp + (a[i] & 0xff) * am + q(b[i], ySigned) * bm;
        int rem = (acc & mask) - (acc < 0 ? 1 : 0);
        int v = (acc >> shift) + (rem > thr ? 1 : 0) + oz;
        out[i] = (byte) Math.max(lo, Math.min(hi, v));
      }
      return out;
    }
    boolean relu = op.equals("q.add_relu");
    for (int i = 0; i < a.length; i++) {
      float v = ((float) q(a[i], xSigned) - xzf) * xs + ((float) q(b[i], ySigned) - yzf) * ys;
      out[i] = quantize(relu ? Math.max(v, 0f) : v);
    }
    return out;
  }
}
