package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.runtime.Tensor;

/**
 * Quantize, dequantize, requantize, int_repr and dynamically quantized linear, bit-exact with PyTorch 1.13 on CPU
 * (the qnnpack engine for linear_dynamic). A quantized tensor at run time holds its raw integers under its q* dtype;
 * its scale and zero point are static, read from the IR type of the node's operand or result.
 *
 * <p>The float arithmetic follows PyTorch's kernels operation by operation, in float where they use float:
 * quantize {@code clamp(int64(float(zp) + rint(x * (1f / (float) scale))))} (x86 turns NaN and out-of-range values
 * into INT64_MIN, so they land on qmin); dequantize per tensor {@code (float(q) - float(zp)) * (float) scale}, per
 * channel {@code (float) ((q - zp) * scale)} in double.
 */
final class QuantKernels {
  private QuantKernels() {}

  /** quant_utils.h SMALL_SCALE_THRESHOLD: scales below it are raised to it. */
  private static final float SMALL_SCALE = 6.1e-5f;

  static Quant quantOf(KernelArgs a, Value v) {
    if (v.type() instanceof TensorType t && t.quant() != null) return t.quant();
    throw a.fail("%" + v.displayName() + " has type " + v.type().text() + ", expected a quantized tensor type");
  }

  private static TensorType typeOf(Value v) { return (TensorType) v.type(); }

  /** One value quantized as PyTorch's quantize_val does, clamped to [qmin, qmax]. */
  static long quantize(float x, float invScale, long zp, long qmin, long qmax) {
    float v = (float) zp + (float) Math.rint(x * invScale);
    // static_cast<int64_t> on x86 gives INT64_MIN for NaN and out-of-range values.
    long q = Float.isNaN(v) || Math.abs(v) >= 0x1p63f ? Long.MIN_VALUE : (long) v;
    return Math.max(qmin, Math.min(qmax, q));
  }

  /** Channel count and inner block size of {@code axis} for a per-channel walk over row-major elements. */
  private static long inner(long[] shape, int axis) {
    long n = 1;
    for (int d = axis + 1; d < shape.length; d++) n *= shape[d];
    return n;
  }

  private static Tensor quantizeFloats(KernelArgs a, float[] x, long[] shape, DType d, Quant q) {
    long qmin = QuantOps.qmin(d), qmax = QuantOps.qmax(d);
    long[] out = new long[x.length];
    if (!q.perChannel()) {
      float inv = 1f / (float) (double) q.scales().get(0);
      long zp = q.zeroPoints().get(0);
      for (int i = 0; i < x.length; i++) out[i] = quantize(x[i], inv, zp, qmin, qmax);
    } else {
      int axis = q.axis();
      if (axis >= shape.length || shape[axis] != q.scales().size())
        throw a.fail(q.scales().size() + " scales for dim " + axis + " of " + Tensor.dims(shape));
      long inner = inner(shape, axis), ch = shape[axis];
      float[] inv = new float[(int) ch];
      for (int c = 0; c < ch; c++) inv[c] = 1f / (float) (double) q.scales().get(c);
      for (int i = 0; i < x.length; i++) {
        int c = (int) ((i / inner) % ch);
        out[i] = quantize(x[i], inv[c], q.zeroPoints().get(c), qmin, qmax);
      }
    }
    return Tensor.ofLongs(d, out, shape);
  }

  /** The real values of a quantized tensor whose parameters are {@code q}. */
  static float[] dequantize(KernelArgs a, Tensor t, Quant q) {
    long[] raw = t.toLongArray();
    float[] out = new float[raw.length];
    if (!q.perChannel()) {
      float scale = (float) (double) q.scales().get(0), zp = (float) (long) q.zeroPoints().get(0);
      for (int i = 0; i < raw.length; i++) out[i] = ((float) raw[i] - zp) * scale;
      return out;
    }
    long[] shape = t.shape();
    int axis = q.axis();
    if (axis >= shape.length || shape[axis] != q.scales().size())
      throw a.fail(q.scales().size() + " scales for dim " + axis + " of " + Tensor.dims(shape));
    long inner = inner(shape, axis), ch = shape[axis];
    for (int i = 0; i < raw.length; i++) {
      int c = (int) ((i / inner) % ch);
      out[i] = (float) ((raw[i] - q.zeroPoints().get(c)) * q.scales().get(c));
    }
    return out;
  }

  private static Tensor quantizedOperand(KernelArgs a, int i) {
    Tensor t = a.tensor(i);
    DType want = typeOf(a.node().operand(i)).dtype();
    if (t.dtype() != want) throw a.fail("operand " + i + " is " + Values.describe(t) + ", expected " + want);
    return t;
  }

  /** quantize_per_tensor and quantize_per_channel: the parameters are those of the result type. */
  static Object quantizeOp(KernelArgs a) {
    Tensor x = a.tensor(0);
    TensorType rt = typeOf(a.node().result(0));
    return quantizeFloats(a, x.toFloatArray(), x.shape(), rt.dtype(), quantOf(a, a.node().result(0)));
  }

  static Object dequantizeOp(KernelArgs a) {
    Tensor q = quantizedOperand(a, 0);
    return Tensor.wrapFloats(dequantize(a, q, quantOf(a, a.node().operand(0))), q.shape());
  }

  /** torch.quantize_per_tensor(q.dequantize(), ...): through float, as PyTorch's requantization of a tensor is. */
  static Object requantizeOp(KernelArgs a) {
    Tensor q = quantizedOperand(a, 0);
    float[] real = dequantize(a, q, quantOf(a, a.node().operand(0)));
    return quantizeFloats(a, real, q.shape(), typeOf(a.node().result(0)).dtype(), quantOf(a, a.node().result(0)));
  }

  static Object intRepr(KernelArgs a) {
    Tensor q = quantizedOperand(a, 0);
    return Tensor.ofLongs(QuantOps.storage(q.dtype()), q.toLongArray(), q.shape());
  }

  /** Activation parameters {scale, zero point} from quant_utils.h ChooseQuantizationParams (no sparsity, no pow2). */
  static double[] chooseParams(float min, float max, int qmin, int qmax) {
    min = Math.min(min, 0f);
    max = Math.max(max, 0f);
    double scale = ((double) max - min) / (qmax - qmin);
    if ((float) scale == 0f || Float.isInfinite(1f / (float) scale)) scale = 0.1;
    if (scale < SMALL_SCALE) {
      float org = (float) scale;
      scale = SMALL_SCALE;
      if (min == 0f) max = SMALL_SCALE * (qmax - qmin);
      else if (max == 0f) min = -SMALL_SCALE * (qmax - qmin);
      else {
        float amp = SMALL_SCALE / org;
        min *= amp;
        max *= amp;
      }
    }
    double zpFromMin = qmin - min / scale, zpFromMax = qmax - max / scale;
    double errMin = Math.abs(qmin) - Math.abs(min / scale), errMax = Math.abs(qmax) - Math.abs(max / scale);
    double initial = errMin < errMax ? zpFromMin : zpFromMax;
    long zp = initial < qmin ? qmin : initial > qmax ? qmax : (long) Math.rint(initial);
    return new double[] {scale, zp};
  }

  /**
   * qnnpack's dynamic linear: x quantized to [0,255] from its own min/max, int32 sums of (xq - xzp)(w - wzp), then
   * {@code float(acc) * (float(w_scale) * float(x_scale)) + bias}, each step rounded to float as the SSE2 kernel does.
   */
  /**
   * The per-call qu8 parameters q.linear_dynamic picks for its input: min and max over all values (both widened to
   * include 0), over the full [0,255] range as qnnpack does.
   */
  static double[] dynamicParams(float[] xa) {
    float min = 0f, max = 0f;
    if (xa.length > 0) {
      min = Float.POSITIVE_INFINITY;
      max = Float.NEGATIVE_INFINITY;
      for (float v : xa) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    return chooseParams(min, max, 0, 255);
  }

  static Object linearDynamic(KernelArgs a) {
    Tensor x = a.tensor(0), w = quantizedOperand(a, 1), bias = a.optTensor(2);
    if (x.rank() == 0 || w.rank() != 2) throw a.fail("expected input [..., in] and weight [out, in], got " + Values.describe(x) + " and " + Values.describe(w));
    int k = Math.toIntExact(x.size(-1)), n = Math.toIntExact(w.size(0));
    if (w.size(1) != k) throw a.fail("input features " + k + " do not match weight " + Tensor.dims(w.shape()));
    if (bias != null && (bias.rank() != 1 || bias.size(0) != n)) throw a.fail("bias " + Values.describe(bias) + " does not match " + n + " outputs");
    Quant wq = quantOf(a, a.node().operand(1));
    float[] xa = x.toFloatArray();
    int rows = k == 0 ? 0 : xa.length / k;
    double[] p = dynamicParams(xa);
    float xs = (float) p[0];
    int xz = (int) p[1];
    float inv = 1f / xs;
    int[] xq = new int[xa.length];
    for (int i = 0; i < xa.length; i++) xq[i] = (int) quantize(xa[i], inv, xz, 0, 255) - xz;
    long[] wraw = w.toLongArray();
    int[] wc = new int[wraw.length];
    float[] mult = new float[n];
    for (int o = 0; o < n; o++) {
      int c = wq.perChannel() ? o : 0;
      long zp = wq.zeroPoints().get(c);
      for (int j = 0; j < k; j++) wc[o * k + j] = (int) (wraw[o * k + j] - zp);
      mult[o] = (float) (double) wq.scales().get(c) * xs;
    }
    float[] b = bias == null ? null : bias.toFloatArray();
    float[] y = new float[Math.multiplyExact(rows, n)];
    for (int r = 0; r < rows; r++) {
      int xo = r * k;
      for (int o = 0; o < n; o++) {
        int acc = 0, wo = o * k;
        for (int j = 0; j < k; j++) acc += xq[xo + j] * wc[wo + j];
        float v = (float) acc * mult[o];
        y[r * n + o] = v + (b == null ? 0f : b[o]); // qnnpack adds a zero bias when there is none
      }
    }
    long[] shape = x.shape();
    shape[shape.length - 1] = n;
    return Tensor.wrapFloats(y, shape);
  }
}
