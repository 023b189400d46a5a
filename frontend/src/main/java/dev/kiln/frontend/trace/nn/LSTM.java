package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;
import dev.kiln.ir.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A multi-layer unidirectional LSTM as torch.nn.LSTM, with its parameter names: per layer k {@code weight_ih_lk
 * [4H, in]}, {@code weight_hh_lk [4H, H]}, {@code bias_ih_lk}, {@code bias_hh_lk [4H]}. {@link #forwardAll} takes
 * {@code x} or {@code (x, h0, c0)} and returns {@code (output, h_n, c_n)}; {@link #forward} returns the output.
 */
public class LSTM extends Module {
  private final long hidden;
  private final int layers;
  private final boolean batchFirst;
  private final List<Parameter> weights = new ArrayList<>();

  public LSTM(long inputSize, long hiddenSize, int numLayers, boolean batchFirst) {
    this.hidden = hiddenSize;
    this.layers = numLayers;
    this.batchFirst = batchFirst;
    double bound = 1 / Math.sqrt(hiddenSize);
    for (int k = 0; k < numLayers; k++) {
      long in = k == 0 ? inputSize : hiddenSize;
      weights.add(param("weight_ih_l" + k, uniform(new long[] {4 * hiddenSize, in}, bound)));
      weights.add(param("weight_hh_l" + k, uniform(new long[] {4 * hiddenSize, hiddenSize}, bound)));
      weights.add(param("bias_ih_l" + k, uniform(new long[] {4 * hiddenSize}, bound)));
      weights.add(param("bias_hh_l" + k, uniform(new long[] {4 * hiddenSize}, bound)));
    }
  }

  @Override public T forward(T x) { return forwardAll(List.of(x)).get(0); }

  @Override public List<T> forwardAll(List<T> inputs) {
    if (inputs.size() != 1 && inputs.size() != 3) throw new IllegalArgumentException("LSTM takes x or (x, h0, c0), got " + inputs.size() + " inputs");
    T x = inputs.get(0);
    T h0 = inputs.size() == 3 ? inputs.get(1) : zeroState(x);
    T c0 = inputs.size() == 3 ? inputs.get(2) : zeroState(x);
    List<T> w = new ArrayList<>();
    for (Parameter p : weights) w.add(p.t());
    return F.lstm(x, h0, c0, w, layers, true, batchFirst);
  }

  /** Zeros of [layers, N, H] whose batch dim stays symbolic when the input's is. */
  private T zeroState(T x) {
    int batchDim = batchFirst ? 0 : 1;
    if (x.dim(batchDim).isStatic()) return T.zeros(layers, x.dim(batchDim).size(), hidden);
    // A symbolic batch cannot be written as a static shape, so derive the zeros from x: s < s is false for every
    // element (NaN included), and false cast to f32 is 0.
    T s = x.select(batchFirst ? 1 : 0, 0).slice(1, 0, 1);
    T z = s.lt(s).to(DType.F32).expand(-1, hidden).unsqueeze(0);
    return layers == 1 ? z : z.expand(layers, -1, -1);
  }
}
