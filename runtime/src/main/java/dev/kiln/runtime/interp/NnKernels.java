package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;

/** batch_norm (eval), layer_norm, softmax, log_softmax and embedding. Statistics are computed in double. */
final class NnKernels {
  private NnKernels() {}

  /** y = (x - mean) / sqrt(var + eps) * weight + bias over channel dim 1, as one scale and shift per channel. */
  static Object batchNorm(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (x.rank() < 2) throw a.fail("input must have a channel dim, got " + Values.describe(x));
    int c = (int) x.size(1);
    double[] mean = channelParam(a, 1, c), var = channelParam(a, 2, c);
    double[] w = a.optTensor(3) == null ? null : channelParam(a, 3, c), b = a.optTensor(4) == null ? null : channelParam(a, 4, c);
    double eps = a.attrFloat("eps");
    int inner = (int) (x.numel() / Math.max(1, x.size(0) * c));
    double[] scale = new double[c], shift = new double[c];
    for (int ch = 0; ch < c; ch++) {
      scale[ch] = (w == null ? 1 : w[ch]) / Math.sqrt(var[ch] + eps);
      shift[ch] = (b == null ? 0 : b[ch]) - mean[ch] * scale[ch];
    }
    if (x.dtype() == DType.F32) {
      float[] in = x.floatData(), out = new float[in.length];
      for (int i = 0; i < in.length; i++) {
        int ch = (i / inner) % c;
        out[i] = (float) (in[i] * scale[ch] + shift[ch]);
      }
      return Tensor.wrapFloats(out, x.shape());
    }
    double[] v = x.toDoubleArray();
    for (int i = 0; i < v.length; i++) {
      int ch = (i / inner) % c;
      v[i] = v[i] * scale[ch] + shift[ch];
    }
    return Tensor.ofDoubles(x.dtype(), v, x.shape());
  }

  private static double[] channelParam(KernelArgs a, int i, int c) {
    Tensor t = a.tensor(i);
    if (t.rank() != 1 || t.size(0) != c) throw a.fail("operand " + i + " is " + Values.describe(t) + ", expected [" + c + "]");
    return t.toDoubleArray();
  }

  /** Normalizes each group of the trailing normalized_shape dims to zero mean and unit (biased) variance. */
  static Object layerNorm(KernelArgs a) {
    Tensor x = a.tensor(0), w = a.optTensor(1), b = a.optTensor(2);
    long[] ns = a.attrInts("normalized_shape");
    long[] xs = x.shape();
    if (ns.length == 0 || ns.length > xs.length) throw a.fail("normalized_shape " + Tensor.dims(ns) + " does not fit " + Values.describe(x));
    for (int i = 0; i < ns.length; i++)
      if (xs[xs.length - ns.length + i] != ns[i]) throw a.fail("normalized_shape " + Tensor.dims(ns) + " does not match " + Values.describe(x));
    int group = (int) Tensor.numel(ns);
    double[] wv = w == null ? null : w.toDoubleArray(), bv = b == null ? null : b.toDoubleArray();
    if (wv != null && wv.length != group || bv != null && bv.length != group) throw a.fail("weight and bias must have shape " + Tensor.dims(ns));
    double eps = a.attrFloat("eps");
    double[] v = x.toDoubleArray();
    for (int start = 0; start < v.length; start += group) {
      double mean = 0, var = 0;
      for (int i = 0; i < group; i++) mean += v[start + i];
      mean /= group;
      for (int i = 0; i < group; i++) var += (v[start + i] - mean) * (v[start + i] - mean);
      double inv = 1 / Math.sqrt(var / group + eps);
      for (int i = 0; i < group; i++) {
        double y = (v[start + i] - mean) * inv;
        if (wv != null) y *= wv[i];
        if (bv != null) y += bv[i];
        v[start + i] = y;
      }
    }
    return Tensor.ofDoubles(x.dtype(), v, xs);
  }

  static Object softmax(KernelArgs a) { return softmax(a, false); }

  static Object logSoftmax(KernelArgs a) { return softmax(a, true); }

  /** Stable: exp(x - max) / sum, or x - max - log(sum) for log_softmax; integer inputs give f32. */
  private static Tensor softmax(KernelArgs a, boolean log) {
    Tensor x = a.tensor(0);
    int d = a.dim(a.attrInt("dim"), x.rank());
    DType out = x.dtype().isFloat() ? x.dtype() : DType.F32;
    long[] shape = x.shape();
    int size = x.rank() == 0 ? 1 : (int) shape[d];
    int inner = 1;
    for (int i = d + 1; i < shape.length; i++) inner *= (int) shape[i];
    double[] v = x.toDoubleArray();
    int outer = size == 0 ? 0 : v.length / (size * inner);
    for (int o = 0; o < outer; o++)
      for (int in = 0; in < inner; in++) {
        int base = o * size * inner + in;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) max = Math.max(max, v[base + i * inner]);
        if (max == Double.NEGATIVE_INFINITY) max = 0;
        double sum = 0;
        for (int i = 0; i < size; i++) sum += Math.exp(v[base + i * inner] - max);
        double logSum = Math.log(sum);
        for (int i = 0; i < size; i++) {
          int at = base + i * inner;
          v[at] = log ? v[at] - max - logSum : Math.exp(v[at] - max) / sum;
        }
      }
    return Tensor.ofDoubles(out, v, shape);
  }

  /** Rows of weight [V,D] chosen by integer indices: result indices.shape + [D]. */
  static Object embedding(KernelArgs a) {
    Tensor w = a.tensor(0), idx = a.tensor(1);
    if (w.rank() != 2) throw a.fail("weight must be [V,D], got " + Values.describe(w));
    if (!idx.dtype().isInteger()) throw a.fail("indices must be an integer tensor, got " + Values.describe(idx));
    return ShapeKernels.gatherRows(a, w, idx.toLongArray(), idx.shape(), false);
  }
}
