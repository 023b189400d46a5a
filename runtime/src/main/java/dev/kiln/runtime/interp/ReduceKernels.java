package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;

/**
 * mean, sum, amax over a set of dims (all when {@code dims} is empty) and argmax. The input is permuted so that
 * the kept dims come first and the reduced ones last; each output element then reduces one contiguous run.
 */
final class ReduceKernels {
  private ReduceKernels() {}

  private interface Reducer {
    double apply(double[] v, int from, int count);
  }

  private record Plan(Tensor moved, long[] outShape, int outer, int count) {}

  private static Plan plan(KernelArgs a, Tensor x, long[] dims, boolean keep) {
    int r = x.rank();
    boolean[] red = new boolean[r];
    if (dims.length == 0) java.util.Arrays.fill(red, true);
    for (long d : dims) {
      int i = a.dim(d, r);
      if (red[i] && dims.length > 0 && r > 0) throw a.fail("dim " + i + " listed twice");
      if (r > 0) red[i] = true;
    }
    int[] perm = new int[r];
    int k = 0, kept = 0;
    for (int i = 0; i < r; i++) if (!red[i]) perm[k++] = i;
    kept = k;
    for (int i = 0; i < r; i++) if (red[i]) perm[k++] = i;
    long[] shape = x.shape();
    java.util.List<Long> out = new java.util.ArrayList<>();
    long outer = 1, count = 1;
    for (int i = 0; i < r; i++) {
      if (!red[i]) {
        out.add(shape[i]);
        outer *= shape[i];
      } else {
        count *= shape[i];
        if (keep) out.add(1L);
      }
    }
    Tensor moved = x.permute(perm).contiguous();
    if (kept == r) count = 1;
    return new Plan(moved, out.stream().mapToLong(Long::longValue).toArray(), Math.toIntExact(outer), Math.toIntExact(count));
  }

  private static Tensor reduce(KernelArgs a, DType out, Reducer f) {
    Tensor x = a.tensor(0);
    Plan p = plan(a, x, a.attrInts("dims"), a.attrBool("keepdim"));
    double[] v = p.moved().toDoubleArray(), r = new double[p.outer()];
    for (int o = 0; o < p.outer(); o++) r[o] = f.apply(v, o * p.count(), p.count());
    return Tensor.ofDoubles(out, r, p.outShape());
  }

  static Object mean(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (!x.dtype().isFloat()) throw a.fail("mean needs a floating-point input, got " + Values.describe(x));
    return reduce(a, x.dtype(), (v, from, n) -> {
      double s = 0;
      for (int i = 0; i < n; i++) s += v[from + i];
      return s / n;
    });
  }

  /** Floats sum in double; integers and bool sum exactly in long to i64. */
  static Object sum(KernelArgs a) {
    Tensor x = a.tensor(0);
    if (x.dtype().isFloat()) return reduce(a, x.dtype(), (v, from, n) -> {
      double s = 0;
      for (int i = 0; i < n; i++) s += v[from + i];
      return s;
    });
    Plan p = plan(a, x, a.attrInts("dims"), a.attrBool("keepdim"));
    long[] v = p.moved().toLongArray(), r = new long[p.outer()];
    for (int o = 0; o < p.outer(); o++) for (int i = 0; i < p.count(); i++) r[o] += v[o * p.count() + i];
    return Tensor.ofLongs(DType.I64, r, p.outShape());
  }

  /** Max; NaN propagates. Integers stay exact (compared in long). */
  static Object amax(KernelArgs a) {
    Tensor x = a.tensor(0);
    Plan p = plan(a, x, a.attrInts("dims"), a.attrBool("keepdim"));
    if (p.count() == 0) throw a.fail("amax over an empty dim");
    if (!x.dtype().isFloat()) {
      long[] v = p.moved().toLongArray(), r = new long[p.outer()];
      for (int o = 0; o < p.outer(); o++) {
        long m = Long.MIN_VALUE;
        for (int i = 0; i < p.count(); i++) m = Math.max(m, v[o * p.count() + i]);
        r[o] = m;
      }
      return Tensor.ofLongs(x.dtype(), r, p.outShape());
    }
    return reduce(a, x.dtype(), (v, from, n) -> {
      double m = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) m = Math.max(m, v[from + i]);
      return m;
    });
  }

  /** Index of the first maximum (a NaN counts as the maximum) along dim, or over the flattened tensor. */
  static Object argmax(KernelArgs a) {
    Tensor x = a.tensor(0);
    boolean flat = a.attrIsNone("dim");
    Plan p = flat ? plan(a, x.reshape(-1), new long[] {0}, false)
        : plan(a, x, new long[] {a.attrInt("dim")}, a.attrBool("keepdim"));
    if (p.count() == 0) throw a.fail("argmax of an empty tensor");
    double[] v = p.moved().toDoubleArray();
    long[] r = new long[p.outer()];
    for (int o = 0; o < p.outer(); o++) {
      int best = 0;
      double m = v[o * p.count()];
      for (int i = 1; i < p.count() && m == m; i++) {
        double e = v[o * p.count() + i];
        if (e > m || e != e) {
          m = e;
          best = i;
        }
      }
      r[o] = best;
    }
    // With no dim, keepdim keeps every dim as 1 (torch.argmax(x, keepdim=True) on [2,3] gives [1,1]).
    long[] flatShape = new long[flat && a.attrBool("keepdim") ? x.rank() : 0];
    java.util.Arrays.fill(flatShape, 1);
    return Tensor.ofLongs(DType.I64, r, flat ? flatShape : p.outShape());
  }
}
