package dev.kiln.runtime.exec;

import dev.kiln.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A model that runs a batch image by image: the superclass of the small entry class the JVM backend generates for a
 * batch-separable graph (every op acts on each sample of dim 0 on its own). The per-sample model is compiled for
 * batch 1; {@link #run} slices sample {@code i} out of every input ({@code [1,...]}), runs the per-sample model and
 * copies each result into row {@code i} of a {@code [N,...]} output, so one sample's activations stay in cache
 * instead of streaming N samples' through memory layer after layer. The results equal the batched model's: each
 * sample goes through the same code.
 *
 * <p>Thread safety follows the per-sample model's: a pooled model makes this one pooled too, each instance owning
 * its per-sample instance.
 */
public abstract class BatchSplitModel implements CompiledModel {
  private final CompiledModel perSample;

  /** @param perSample the batch-1 model, not null */
  protected BatchSplitModel(CompiledModel perSample) {
    if (perSample == null) throw new IllegalArgumentException("no per-sample model");
    this.perSample = perSample;
  }

  @Override public boolean isThreadSafe() { return perSample.isThreadSafe(); }

  /**
   * @param inputs tensors of one common dim 0 (the batch), as the signature guarantees
   * @return one {@code [N,...]} tensor per result
   */
  @Override public List<Object> run(List<Object> inputs) {
    long n = -1;
    for (Object o : inputs) {
      if (!(o instanceof Tensor t) || t.rank() == 0) throw new IllegalArgumentException("batch split: input is not a batched tensor: " + o);
      if (n >= 0 && t.size(0) != n) throw new IllegalArgumentException("batch split: inputs disagree on dim 0: " + n + " and " + t.size(0));
      n = t.size(0);
    }
    if (n <= 0) throw new IllegalArgumentException("batch split: empty batch");
    Tensor[] out = null;
    List<Object> sample = new ArrayList<>(inputs.size());
    for (long i = 0; i < n; i++) {
      sample.clear();
      for (Object o : inputs) sample.add(((Tensor) o).slice(0, i, i + 1, 1));
      List<Object> got = perSample.run(sample);
      if (out == null) out = outputs(got, n);
      for (int r = 0; r < out.length; r++) {
        if (!(got.get(r) instanceof Tensor one) || one.dtype() != out[r].dtype() || one.numel() * n != out[r].numel())
          throw new IllegalStateException("batch split: sample " + i + "'s result " + r + " is not one row of " + out[r].dtype() + Tensor.dims(out[r].shape()));
        long bytes = one.numel() * one.dtype().byteSize();
        MemorySegment.copy(one.segment(), 0, out[r].segment(), i * bytes, bytes);
      }
    }
    List<Object> results = new ArrayList<>(out.length);
    for (Tensor t : out) results.add(t);
    return results;
  }

  /** Zeroed {@code [n, ...]} tensors shaped after the first sample's results. */
  private static Tensor[] outputs(List<Object> first, long n) {
    Tensor[] out = new Tensor[first.size()];
    for (int r = 0; r < out.length; r++) {
      if (!(first.get(r) instanceof Tensor t) || t.rank() == 0 || t.size(0) != 1)
        throw new IllegalStateException("batch split: per-sample result " + r + " is not a [1,...] tensor: " + first.get(r));
      long[] shape = t.shape();
      shape[0] = n;
      out[r] = Tensor.zeros(t.dtype(), shape);
    }
    return out;
  }
}
