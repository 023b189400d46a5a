package dev.kiln.passes.quant;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.passes.fold.Consts;
import dev.kiln.passes.rewrite.Rewriter;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Weight quantization at compile time, as PyTorch's weight observers choose it: qint8, symmetric, zero point 0,
 * {@code scale = max(|min|, |max|) / 127.5} computed in float (MinMaxObserver with per_tensor_symmetric, or
 * PerChannelMinMaxObserver with per_channel_symmetric along the output channel, dim 0), raised to float epsilon.
 * The integers come from the runtime's own quantize kernel (run on a one-node graph), so they are PyTorch's bits.
 */
public final class WeightQuantizer {
  private WeightQuantizer() {}

  /** torch.finfo(torch.float32).eps, the smallest scale an observer returns. */
  private static final float EPS = Math.ulp(1f);

  /** A weight and its parameters: {@code tensor} holds the raw qi8 values under dtype qi8, {@code type} says how to read them. */
  public record Quantized(Tensor tensor, TensorType type) {}

  /** The symmetric qint8 scale of values with this min and max, as the observers compute it in float. */
  static double symmetricScale(float min, float max) {
    float amax = Math.max(-Math.min(min, 0f), Math.max(max, 0f));
    float scale = amax / 127.5f; // (quant_max - quant_min) / 2 for [-128, 127]
    return Math.max(scale, EPS);
  }

  /**
   * Quantizes a float weight of rank >= 1.
   *
   * @param perChannel one scale per index of dim 0 (the output channel), else one scale for the whole tensor
   */
  public static Quantized quantize(Tensor w, boolean perChannel) {
    float[] v = w.toFloatArray();
    long[] shape = w.shape();
    int channels = perChannel ? (int) shape[0] : 1;
    int per = channels == 0 ? 0 : v.length / channels;
    double[] scales = new double[Math.max(channels, 1)];
    for (int c = 0; c < channels; c++) {
      float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
      for (int i = c * per; i < (c + 1) * per; i++) {
        min = Math.min(min, v[i]);
        max = Math.max(max, v[i]);
      }
      scales[c] = per == 0 ? EPS : symmetricScale(min, max);
    }
    List<Double> s = new ArrayList<>();
    List<Long> z = new ArrayList<>();
    for (double x : scales) {
      s.add(x);
      z.add(0L);
    }
    Quant q = perChannel ? new Quant(0, s, z) : Quant.perTensor(s.get(0), 0);
    TensorType type = new TensorType(DType.QI8, Shape.of(shape), Layout.CONTIGUOUS, q);
    return new Quantized(runQuantize(w, type), type);
  }

  /** Runs q.quantize_per_tensor / q.quantize_per_channel on {@code w} with the parameters of {@code type}. */
  static Tensor runQuantize(Tensor w, TensorType type) {
    Graph g = new Graph("quantize_weight");
    Value x = g.addParam(Type.tensor(DType.F32, w.shape()), "w");
    Builder b = Builder.atEnd(g.body());
    Quant q = type.quant();
    Value r = q.perChannel()
        ? b.op(QuantOps.QUANTIZE_PER_CHANNEL, Builder.attrs("scales", q.scales().stream().mapToDouble(Double::doubleValue).toArray(),
            "zero_points", q.zeroPoints().stream().mapToLong(Long::longValue).toArray(), "axis", (long) q.axis(), "dtype", type.dtype()), x)
        : b.op(QuantOps.QUANTIZE_PER_TENSOR, Builder.attrs("scale", q.scales().get(0), "zero_point", q.zeroPoints().get(0), "dtype", type.dtype()), x);
    b.ret(r);
    return (Tensor) new Interpreter(g, Map.of()).run(List.of(w.dtype() == DType.F32 ? w : w.to(DType.F32))).getFirst();
  }

  /**
   * A constant holding the quantized form of the known float weight {@code w}, placed before the rewriter's root: a
   * literal when {@code w} is a literal, else a new weight named {@code <name>.qi8} (made unique). Null when
   * {@code w}'s value is not known.
   */
  public static Value quantizedConst(Value w, boolean perChannel, Rewriter rw) {
    Tensor t = Consts.tensor(w, rw.weights());
    if (t == null || !t.dtype().isFloat() || t.rank() == 0) return null;
    Quantized q = quantize(t, perChannel);
    if (Consts.literal(w) != null) return rw.literal(Attr.ints(q.tensor().toLongArray()), q.type());
    String name = rw.freshWeightName(Consts.weightName(w) + ".qi8");
    rw.weights().put(name, q.tensor());
    return rw.weight(name, q.type());
  }
}
