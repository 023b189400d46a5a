package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;

/**
 * linear, matmul, mm, bmm, addmm and baddbmm: f32, f16 and bf16 compute in float through the tuned
 * {@link dev.kiln.runtime.kernels.Gemm}, f64 and integers in double ({@link Gemm#dgemm}); results are converted back
 * to the output dtype.
 */
final class LinalgKernels {
  private LinalgKernels() {}

  static boolean floatCompute(DType d) { return d == DType.F32 || d == DType.F16 || d == DType.BF16; }

  /** {@code out[b] = x[b] @ y[b]} for x [B,M,K], y [B,K,N] (contiguous copies are made as needed). */
  static Tensor batched(KernelArgs a, Tensor x, Tensor y, DType out) {
    long[] xs = x.shape(), ys = y.shape();
    if (xs[2] != ys[1]) throw a.fail("inner dims of " + Tensor.dims(xs) + " and " + Tensor.dims(ys) + " differ");
    int bs = Math.toIntExact(xs[0]), m = Math.toIntExact(xs[1]), k = Math.toIntExact(xs[2]), n = Math.toIntExact(ys[2]);
    long[] shape = {bs, m, n};
    if (floatCompute(out)) {
      float[] xa = x.to(DType.F32).floatData(), ya = y.to(DType.F32).floatData(), c = new float[bs * m * n];
      for (int b = 0; b < bs; b++)
        dev.kiln.runtime.kernels.Gemm.sgemm(false, false, m, n, k, 1f, xa, b * m * k, k, ya, b * k * n, n, 0f, c, b * m * n, n);
      return Tensor.wrapFloats(c, shape).to(out);
    }
    double[] xa = x.toDoubleArray(), ya = y.toDoubleArray(), c = new double[bs * m * n];
    for (int b = 0; b < bs; b++) Gemm.dgemm(m, n, k, xa, b * m * k, k, ya, b * k * n, n, c, b * m * n, n, false);
    return Tensor.ofDoubles(out, c, shape);
  }

  /** y = x W^T + b over the last dim of x. */
  static Object linear(KernelArgs a) {
    Tensor x = a.tensor(0), w = a.tensor(1), bias = a.optTensor(2);
    if (x.rank() == 0 || w.rank() != 2) throw a.fail("expected input [..., in] and weight [out, in], got " + Values.describe(x) + " and " + Values.describe(w));
    long in = x.size(-1), outF = w.size(0);
    if (w.size(1) != in) throw a.fail("input features " + in + " do not match weight " + Tensor.dims(w.shape()));
    if (bias != null && (bias.rank() != 1 || bias.size(0) != outF)) throw a.fail("bias " + Values.describe(bias) + " does not match " + outF + " outputs");
    long rows = x.numel() / Math.max(in, 1);
    long[] shape = x.shape();
    shape[shape.length - 1] = outF;
    if (floatCompute(x.dtype()) && floatCompute(w.dtype())) {
      // One product with W read in place as op(B) = W^T; y starts as the bias rows and the product is added.
      int m = Math.toIntExact(rows), n = Math.toIntExact(outF), k = Math.toIntExact(in);
      float[] xa = x.to(DType.F32).floatData(), wa = w.to(DType.F32).floatData(), y = new float[Math.multiplyExact(m, n)];
      if (bias != null) {
        float[] ba = bias.to(DType.F32).floatData();
        for (int r = 0; r < m; r++) System.arraycopy(ba, 0, y, r * n, n);
      }
      dev.kiln.runtime.kernels.Gemm.sgemm(false, true, m, n, k, 1f, xa, 0, k, wa, 0, k, bias == null ? 0f : 1f, y, 0, n);
      return Tensor.wrapFloats(y, shape).to(x.dtype());
    }
    Tensor y = batched(a, x.reshape(1, rows, in), w.transpose(0, 1).unsqueeze(0), x.dtype()).reshape(shape);
    return bias == null ? y : addScaled(y, 1, bias, 1);
  }

  /** torch.matmul: 1-D operands get a dim added (then dropped); batch dims broadcast. */
  static Object matmul(KernelArgs a) {
    Tensor x = a.tensor(0), y = a.tensor(1);
    if (x.rank() == 0 || y.rank() == 0) throw a.fail("both operands need at least one dim");
    boolean xv = x.rank() == 1, yv = y.rank() == 1;
    if (xv) x = x.unsqueeze(0);
    if (yv) y = y.unsqueeze(1);
    long[] xs = x.shape(), ys = y.shape();
    long[] batch = Broadcasting.shape(a, Arrays.copyOf(xs, xs.length - 2), Arrays.copyOf(ys, ys.length - 2));
    long m = xs[xs.length - 2], k = xs[xs.length - 1], n = ys[ys.length - 1];
    if (ys[ys.length - 2] != k) throw a.fail("inner dims of " + Tensor.dims(xs) + " and " + Tensor.dims(ys) + " differ");
    long nb = Tensor.numel(batch);
    Tensor xb = x.expand(concat(batch, m, k)).reshape(nb, m, k), yb = y.expand(concat(batch, k, n)).reshape(nb, k, n);
    DType out = Promotion.promote(a, a.all());
    Tensor r = batched(a, xb, yb, out);
    long[] shape = concat(batch, m, n);
    if (xv) shape = remove(shape, shape.length - 2);
    if (yv) shape = remove(shape, shape.length - 1);
    return r.reshape(shape);
  }

  static Object mm(KernelArgs a) {
    Tensor x = a.tensor(0), y = a.tensor(1);
    if (x.rank() != 2 || y.rank() != 2) throw a.fail("expects 2-D operands, got " + Values.describe(x) + " and " + Values.describe(y));
    return batched(a, x.unsqueeze(0), y.unsqueeze(0), x.dtype()).reshape(x.size(0), y.size(1));
  }

  static Object bmm(KernelArgs a) {
    Tensor x = a.tensor(0), y = a.tensor(1);
    if (x.rank() != 3 || y.rank() != 3 || x.size(0) != y.size(0))
      throw a.fail("expects [B,M,K] and [B,K,N], got " + Values.describe(x) + " and " + Values.describe(y));
    return batched(a, x, y, x.dtype());
  }

  /** beta * input + alpha * (a @ b) */
  static Object addmm(KernelArgs a) {
    Tensor p = (Tensor) mm(new KernelArgs(a.node(), java.util.List.of(a.get(1), a.get(2))));
    return addScaled(p, a.attrFloat("alpha"), a.tensor(0), a.attrFloat("beta"));
  }

  /** beta * input + alpha * bmm(a, b) */
  static Object baddbmm(KernelArgs a) {
    Tensor p = (Tensor) bmm(new KernelArgs(a.node(), java.util.List.of(a.get(1), a.get(2))));
    return addScaled(p, a.attrFloat("alpha"), a.tensor(0), a.attrFloat("beta"));
  }

  /** alpha * p + beta * c, with c broadcast to p's shape; the result has p's dtype. */
  static Tensor addScaled(Tensor p, double alpha, Tensor c, double beta) {
    long[] shape = p.shape();
    Tensor cb = c.expand(shape).contiguous();
    if (p.dtype() == DType.F32) {
      float[] r = p.toFloatArray(), cv = cb.floatData();
      float fa = (float) alpha, fb = (float) beta;
      if (alpha == 1 && beta == 1) for (int i = 0; i < r.length; i++) r[i] += cv[i];
      else for (int i = 0; i < r.length; i++) r[i] = fa * r[i] + fb * cv[i];
      return Tensor.wrapFloats(r, shape);
    }
    double[] r = p.toDoubleArray(), cv = cb.toDoubleArray();
    for (int i = 0; i < r.length; i++) r[i] = alpha * r[i] + beta * cv[i];
    return Tensor.ofDoubles(p.dtype(), r, shape);
  }

  static long[] concat(long[] head, long... tail) {
    long[] out = Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, out, head.length, tail.length);
    return out;
  }

  private static long[] remove(long[] a, int i) {
    long[] out = new long[a.length - 1];
    System.arraycopy(a, 0, out, 0, i);
    System.arraycopy(a, i + 1, out, i, a.length - i - 1);
    return out;
  }
}
