package dev.kiln.frontend.trace;

import static dev.kiln.ir.Builder.attrs;

import dev.kiln.ir.Attr;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.ir.ops.SequenceOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Layer functions, as {@code torch.nn.functional}: each runs one op of the op table eagerly and records it while
 * tracing. Optional tensors (a bias) may be null. Arguments are checked by the op's type rule and kernel, and a
 * failure names the caller's file and line.
 */
public final class F {
  private F() {}

  private static Object[] withOptional(T... xs) {
    List<Object> out = new ArrayList<>();
    for (T x : xs) if (x != null) out.add(x);
    return out.toArray();
  }

  /** {@code x W^T + b}; {@code b} may be null. */
  public static T linear(T x, T w, T b) { return Dispatch.call1(LinalgOps.LINEAR, Map.of(), withOptional(x, w, b)); }

  /** 2-D convolution of {@code x [N,C,H,W]} with {@code w [O,C/groups,kh,kw]}; {@code b} may be null. */
  public static T conv2d(T x, T w, T b, long[] stride, long[] padding, long[] dilation, long groups) {
    return Dispatch.call1(NnOps.CONV2D, attrs("stride", stride, "padding", padding, "dilation", dilation, "groups", groups),
        withOptional(x, w, b));
  }

  /** Eval-mode batch norm over dim 1; {@code w} and {@code b} may be null only together. */
  public static T batchNorm(T x, T mean, T var, T w, T b, double eps) {
    return Dispatch.call1(NnOps.BATCH_NORM, attrs("eps", eps), withOptional(x, mean, var, w, b));
  }

  /** Layer norm over the last {@code normalizedShape.length} dims; {@code w} and {@code b} may be null. */
  public static T layerNorm(T x, long[] normalizedShape, T w, T b, double eps) {
    return Dispatch.call1(NnOps.LAYER_NORM, attrs("normalized_shape", normalizedShape, "eps", eps), withOptional(x, w, b));
  }

  public static T softmax(T x, int dim) { return Dispatch.call1(NnOps.SOFTMAX, attrs("dim", dim), x); }

  public static T logSoftmax(T x, int dim) { return Dispatch.call1(NnOps.LOG_SOFTMAX, attrs("dim", dim), x); }

  /** Max pooling; an empty {@code stride} means the kernel size. */
  public static T maxPool2d(T x, long[] kernel, long[] stride, long[] padding) {
    return Dispatch.call1(NnOps.MAX_POOL2D, attrs("kernel_size", kernel, "stride", stride, "padding", padding), x);
  }

  public static T avgPool2d(T x, long[] kernel, long[] stride, long[] padding) {
    return Dispatch.call1(NnOps.AVG_POOL2D, attrs("kernel_size", kernel, "stride", stride, "padding", padding), x);
  }

  public static T adaptiveAvgPool2d(T x, long... outputSize) {
    return Dispatch.call1(NnOps.ADAPTIVE_AVG_POOL2D, attrs("output_size", outputSize), x);
  }

  /** Rows of {@code weight [V,D]} picked by the integer tensor {@code idx}. */
  public static T embedding(T weight, T idx) { return Dispatch.call1(NnOps.EMBEDDING, Map.of(), weight, idx); }

  /** Identity: inference only (eval mode). */
  public static T dropout(T x, double p) { return Dispatch.call1(ElementwiseOps.DROPOUT, attrs("p", p), x); }

  /**
   * Scaled dot-product attention over the last two dims; {@code mask} may be null (bool: true allows, float: added).
   *
   * @param scale the factor on q k^T, or NaN for 1/sqrt(E)
   */
  public static T attention(T q, T k, T v, T mask, double scale, boolean causal) {
    Map<String, Attr> a = Double.isNaN(scale) ? attrs("causal", causal) : attrs("scale", scale, "causal", causal);
    return Dispatch.call1(SequenceOps.ATTENTION, a, withOptional(q, k, v, mask));
  }

  /**
   * Multi-layer unidirectional LSTM with PyTorch's gate order; weights per layer: w_ih, w_hh and, if biased, b_ih,
   * b_hh. Returns output, h_n, c_n.
   */
  public static List<T> lstm(T x, T h0, T c0, List<T> weights, int numLayers, boolean hasBiases, boolean batchFirst) {
    List<Object> ops = new ArrayList<>(List.of(x, h0, c0));
    ops.addAll(weights);
    return Dispatch.call(SequenceOps.LSTM, attrs("num_layers", numLayers, "has_biases", hasBiases, "batch_first", batchFirst),
        ops.toArray());
  }
}
