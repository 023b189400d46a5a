package dev.kiln.runtime.interp;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Tensor;
import java.util.Arrays;
import java.util.List;

/** LSTM and scaled dot-product attention, written step by step in double as their op javadoc decomposes them. */
final class SequenceKernels {
  private SequenceKernels() {}

  /**
   * Per layer and direction, time step t: {@code gates = x_t W_ih^T + b_ih + h W_hh^T + b_hh}; {@code i,f,g,o} are
   * its four quarters; {@code c = s(f)*c + s(i)*tanh(g)}; {@code h = s(o)*tanh(c)}. The reverse direction runs t from
   * last to first; directions concatenate on the feature dim and a layer's output feeds the next layer.
   */
  static List<Object> lstm(KernelArgs a) {
    Tensor x = a.tensor(0), h0 = a.tensor(1), c0 = a.tensor(2);
    int layers = Math.toIntExact(a.attrInt("num_layers"));
    int dirs = a.attrBool("bidirectional") ? 2 : 1;
    int per = a.attrBool("has_biases") ? 4 : 2;
    boolean bf = a.attrBool("batch_first");
    if (x.rank() != 3 || h0.rank() != 3 || c0.rank() != 3) throw a.fail("x, h0 and c0 must be 3-D");
    if (a.count() - 3 != layers * dirs * per) throw a.fail("expects " + layers * dirs * per + " weight tensors, got " + (a.count() - 3));
    Tensor xt = bf ? x.transpose(0, 1) : x;
    int steps = (int) xt.size(0), batch = (int) xt.size(1), hidden = (int) h0.size(2);
    if (h0.size(0) != (long) layers * dirs || h0.size(1) != batch || !Arrays.equals(h0.shape(), c0.shape()))
      throw a.fail("h0 and c0 must be [" + layers * dirs + "," + batch + "," + hidden + "], got " + Values.describe(h0) + " and " + Values.describe(c0));
    double[] in = xt.toDoubleArray(), hInit = h0.toDoubleArray(), cInit = c0.toDoubleArray();
    int features = (int) xt.size(2);
    double[] hn = new double[hInit.length], cn = new double[cInit.length];
    for (int l = 0; l < layers; l++) {
      double[] out = new double[steps * batch * dirs * hidden];
      for (int d = 0; d < dirs; d++) {
        int base = 3 + (l * dirs + d) * per;
        double[] wih = weight(a, base, 4 * hidden, features), whh = weight(a, base + 1, 4 * hidden, hidden);
        double[] bih = per == 4 ? weight(a, base + 2, 4 * hidden, 1) : new double[4 * hidden];
        double[] bhh = per == 4 ? weight(a, base + 3, 4 * hidden, 1) : new double[4 * hidden];
        int slot = (l * dirs + d) * batch * hidden;
        double[] h = Arrays.copyOfRange(hInit, slot, slot + batch * hidden), c = Arrays.copyOfRange(cInit, slot, slot + batch * hidden);
        double[] gates = new double[4 * hidden];
        for (int s = 0; s < steps; s++) {
          int t = d == 0 ? s : steps - 1 - s;
          for (int n = 0; n < batch; n++) {
            int xo = (t * batch + n) * features, ho = n * hidden;
            for (int g = 0; g < 4 * hidden; g++) {
              double acc = bih[g] + bhh[g];
              for (int i = 0; i < features; i++) acc += in[xo + i] * wih[g * features + i];
              for (int i = 0; i < hidden; i++) acc += h[ho + i] * whh[g * hidden + i];
              gates[g] = acc;
            }
            for (int j = 0; j < hidden; j++) {
              double ig = ActivationKernels.sigmoid(gates[j]), fg = ActivationKernels.sigmoid(gates[hidden + j]);
              double gg = Math.tanh(gates[2 * hidden + j]), og = ActivationKernels.sigmoid(gates[3 * hidden + j]);
              c[ho + j] = fg * c[ho + j] + ig * gg;
              h[ho + j] = og * Math.tanh(c[ho + j]);
              out[((t * batch + n) * dirs + d) * hidden + j] = h[ho + j];
            }
          }
        }
        System.arraycopy(h, 0, hn, slot, h.length);
        System.arraycopy(c, 0, cn, slot, c.length);
      }
      in = out;
      features = dirs * hidden;
    }
    Tensor out = Tensor.ofDoubles(x.dtype(), in, steps, batch, (long) dirs * hidden);
    if (bf) out = out.transpose(0, 1).contiguous();
    return List.of(out, Tensor.ofDoubles(h0.dtype(), hn, h0.shape()), Tensor.ofDoubles(c0.dtype(), cn, c0.shape()));
  }

  private static double[] weight(KernelArgs a, int i, int rows, int cols) {
    Tensor w = a.tensor(i);
    if (w.numel() != (long) rows * cols)
      throw a.fail("weight operand " + i + " is " + Values.describe(w) + ", expected " + (cols == 1 ? "[" + rows + "]" : "[" + rows + "," + cols + "]"));
    return w.toDoubleArray();
  }

  /**
   * softmax(q k^T * scale + mask) v over the last two dims; scale defaults to 1/sqrt(E). A bool mask keeps
   * positions where it is true, a float mask is added; causal drops key positions j > i. Batch dims broadcast.
   */
  static Object attention(KernelArgs a) {
    Tensor q = a.tensor(0), k = a.tensor(1), v = a.tensor(2), mask = a.optTensor(3);
    int r = q.rank();
    if (r < 2 || k.rank() != r || v.rank() != r) throw a.fail("q, k, v need the same rank >= 2");
    long lq = q.size(-2), e = q.size(-1), s = k.size(-2), ev = v.size(-1);
    if (k.size(-1) != e || v.size(-2) != s) throw a.fail("shapes " + Values.describe(q) + ", " + Values.describe(k) + ", " + Values.describe(v) + " do not fit");
    long[] batch = Broadcasting.shape(a, Arrays.copyOf(q.shape(), r - 2), Arrays.copyOf(k.shape(), r - 2), Arrays.copyOf(v.shape(), r - 2));
    int nb = Math.toIntExact(Tensor.numel(batch));
    double[] qa = q.expand(LinalgKernels.concat(batch, lq, e)).toDoubleArray();
    double[] ka = k.expand(LinalgKernels.concat(batch, s, e)).toDoubleArray();
    double[] va = v.expand(LinalgKernels.concat(batch, s, ev)).toDoubleArray();
    double[] ma = null;
    boolean boolMask = false;
    if (mask != null) {
      try {
        ma = mask.expand(LinalgKernels.concat(batch, lq, s)).toDoubleArray();
      } catch (IllegalArgumentException ex) {
        throw a.fail("mask " + Values.describe(mask) + " does not broadcast to " + Tensor.dims(LinalgKernels.concat(batch, lq, s)));
      }
      boolMask = mask.dtype() == DType.BOOL;
    }
    double scale = a.attrIsNone("scale") ? 1 / Math.sqrt(e) : a.attrFloat("scale");
    boolean causal = a.attrBool("causal");
    double[] out = new double[(int) (nb * lq * ev)], row = new double[(int) s];
    for (int b = 0; b < nb; b++)
      for (int i = 0; i < lq; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < s; j++) {
          double dot = 0;
          for (int x = 0; x < e; x++) dot += qa[(int) ((b * lq + i) * e + x)] * ka[(int) ((b * s + j) * e + x)];
          double sc = dot * scale;
          if (ma != null) {
            double m = ma[(int) ((b * lq + i) * s + j)];
            sc = boolMask ? (m != 0 ? sc : Double.NEGATIVE_INFINITY) : sc + m;
          }
          if (causal && j > i) sc = Double.NEGATIVE_INFINITY;
          row[j] = sc;
          max = Math.max(max, sc);
        }
        double sum = 0;
        for (int j = 0; j < s; j++) sum += row[j] = Math.exp(row[j] - max);
        for (int j = 0; j < s; j++) {
          double p = row[j] / sum;
          for (int x = 0; x < ev; x++) out[(int) ((b * lq + i) * ev + x)] += p * va[(int) ((b * s + j) * ev + x)];
        }
      }
    return Tensor.ofDoubles(q.dtype(), out, LinalgKernels.concat(batch, lq, ev));
  }
}
