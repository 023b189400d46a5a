package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * What a quantized linear or convolution node ({@link QuantCall#accepts}) fixes before any input arrives, shared by
 * the two int8 runners ({@link QuantCall} on {@code QGemm}, {@link QuantGemmNode} around a caller's product): shapes,
 * the weight bytes and zero points, and the int32 bias and requantization multipliers computed with the reference
 * kernels' own float expressions ({@link QuantNnKernels}, {@link QuantKernels#linearDynamic}), so both give the
 * interpreter's bits.
 */
final class QuantNodeParams {
  final Node node;
  /** Index of x among the graph's parameters. */
  final int input;
  final boolean dynamic, conv, unsigned;
  final long[] inShape, outShape, weightShape;
  final DType outType;
  /** The qi8 weight, row per output channel (PyTorch's layout); not to be changed. */
  final byte[] w;
  final int n, groups;
  final int[] wz;
  /** Static ops: the int32 bias (null when absent); dynamic: null. */
  final int[] biasQ;
  /** Static ops: the requantization multiplier; dynamic: float(w_scale) per channel, times x_scale per call. */
  final float[] mult;
  /** Dynamic: the float bias (null when absent); static: null. */
  final float[] biasF;
  final int xz, outZp, lo, hi;
  /** Convolutions: stride h/w, pad h/w, dilation h/w, kh, kw; null for linear. */
  final int[] conv2d;

  /** @throws IllegalArgumentException when {@code g} is refused or its weights are missing or of the wrong shape */
  QuantNodeParams(Graph g, Map<String, Tensor> weights) {
    String why = QuantCall.refusal(g);
    if (why != null) throw new IllegalArgumentException("graph @" + g.name() + ": " + why);
    node = QuantCall.single(g);
    input = g.params().indexOf(node.operand(0));
    String op = node.op().name();
    dynamic = op.equals("q.linear_dynamic");
    conv = op.startsWith("q.conv2d");
    TensorType xt = (TensorType) node.operand(0).type(), wt = (TensorType) node.operand(1).type(), yt = (TensorType) node.result(0).type();
    inShape = xt.shape().sizes();
    outShape = yt.shape().sizes();
    outType = yt.dtype();
    unsigned = xt.dtype() != DType.QI8;
    w = bytes(weight(weights, 1, wt));
    Tensor bias = node.numOperands() > 2 ? weight(weights, 2, (TensorType) node.operand(2).type()) : null;
    weightShape = wt.shape().sizes();
    n = (int) weightShape[0];
    groups = conv ? (int) node.attrInt("groups") : 1;
    if (groups <= 0 || n % groups != 0) throw new IllegalArgumentException(node.describe() + ": " + n + " outputs in " + groups + " groups");
    Quant wq = wt.quant();
    if (wq.perChannel() && wq.scales().size() != n) throw new IllegalArgumentException(node.describe() + ": " + wq.scales().size() + " weight scales for " + n + " outputs");
    wz = new int[n];
    double[] wsD = new double[n];
    for (int o = 0; o < n; o++) {
      int c = wq.perChannel() ? o : 0;
      wz[o] = (int) (long) wq.zeroPoints().get(c);
      wsD[o] = wq.scales().get(c);
    }
    float[] b = bias == null ? null : bias.toFloatArray();
    mult = new float[n];
    if (dynamic) {
      for (int o = 0; o < n; o++) mult[o] = (float) wsD[o];
      biasF = b;
      biasQ = null;
      xz = outZp = lo = hi = 0;
      conv2d = null;
      return;
    }
    biasF = null;
    Quant xq = xt.quant(), yq = yt.quant();
    double xs = xq.scales().get(0);
    xz = (int) (long) xq.zeroPoints().get(0);
    float outScale = (float) (double) yq.scales().get(0);
    outZp = (int) (long) yq.zeroPoints().get(0);
    lo = op.endsWith("_relu") ? outZp : (int) QuantOps.qmin(outType);
    hi = (int) QuantOps.qmax(outType);
    float invOut = 1f / outScale;
    biasQ = b == null ? null : new int[n];
    for (int o = 0; o < n; o++) { // the expressions of QuantNnKernels
      mult[o] = ((float) wsD[o] * (float) xs) * invOut;
      if (b != null) biasQ[o] = (int) QuantKernels.quantize(b[o], 1f / (float) (wsD[o] * xs), 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
    if (conv) {
      long[] st = pair("stride"), pad = pair("padding"), dil = pair("dilation");
      conv2d = new int[] {(int) st[0], (int) st[1], (int) pad[0], (int) pad[1], (int) dil[0], (int) dil[1], (int) weightShape[2], (int) weightShape[3]};
      if (weightShape[1] * groups != inShape[1]) throw new IllegalArgumentException(node.describe() + ": input " + Tensor.dims(inShape) + " does not match weight " + Tensor.dims(weightShape) + " with groups=" + groups);
    } else conv2d = null;
  }

  /** x of a call: checked against the node's static input shape. */
  Tensor input(java.util.List<Object> inputs) {
    Tensor x = (Tensor) inputs.get(input);
    if (!Arrays.equals(x.shape(), inShape)) throw new IllegalArgumentException(node.describe() + ": input " + Values.describe(x) + ", expected " + Tensor.dims(inShape));
    return x;
  }

  /** qnnpack's requantization: cvtps(float(acc) * multiplier) + zp, clamped ([zp, qmax] with a fused relu). */
  byte requantize(int acc, float m) {
    long v = QuantNnKernels.cvtps((float) acc * m) + outZp;
    return (byte) Math.max(lo, Math.min(hi, v));
  }

  private long[] pair(String name) {
    long[] v = node.attrInts(name);
    return v.length == 1 ? new long[] {v[0], v[0]} : v;
  }

  private Tensor weight(Map<String, Tensor> weights, int i, TensorType t) {
    String name = node.operand(i).definingNode().attrStr("name");
    Tensor x = Objects.requireNonNull(weights.get(name), () -> node.describe() + ": missing weight \"" + name + "\"");
    if (x.dtype() != t.dtype() || !Arrays.equals(x.shape(), t.shape().sizes()))
      throw new IllegalArgumentException(node.describe() + ": weight \"" + name + "\" is " + Values.describe(x) + ", expected " + t.text());
    return x;
  }

  /** The raw bytes of an 8-bit tensor (its own array when it is contiguous and whole; read only). */
  static byte[] bytes(Tensor t) {
    MemorySegment s = t.segment();
    if (s.heapBase().orElse(null) instanceof byte[] a && s.address() == 0 && a.length == s.byteSize()) return a;
    return s.toArray(ValueLayout.JAVA_BYTE);
  }
}
