package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;
import java.util.List;

/**
 * Multi-head attention as torch.nn.MultiheadAttention with {@code batch_first=True}: parameters
 * {@code in_proj_weight [3E,E]}, {@code in_proj_bias [3E]} and {@code out_proj.weight}, {@code out_proj.bias}.
 * Inputs are {@code [N, L, E]}; returns the attention output only (no averaged weights).
 */
public class MultiheadAttention extends Module {
  public final Parameter inProjWeight, inProjBias;
  public final Linear outProj;
  private final long embed, heads;

  public MultiheadAttention(long embedDim, long numHeads) {
    if (embedDim % numHeads != 0) throw new IllegalArgumentException("embed_dim " + embedDim + " is not divisible by num_heads " + numHeads);
    this.embed = embedDim;
    this.heads = numHeads;
    this.inProjWeight = param("in_proj_weight", uniform(new long[] {3 * embedDim, embedDim}, Math.sqrt(3.0 / embedDim)));
    this.inProjBias = filled("in_proj_bias", 0, 3 * embedDim);
    this.outProj = child("out_proj", new Linear(embedDim, embedDim));
  }

  /** Self-attention. */
  @Override public T forward(T x) { return forward(x, x, x, null); }

  /** {@code (x)} or {@code (q, k, v)}. */
  @Override public List<T> forwardAll(List<T> in) {
    if (in.size() == 1) return List.of(forward(in.get(0)));
    if (in.size() == 3) return List.of(forward(in.get(0), in.get(1), in.get(2), null));
    throw new IllegalArgumentException("MultiheadAttention takes x or (q, k, v), got " + in.size() + " inputs");
  }

  /** @param mask null, or bool (true allows) / float (added) broadcasting to [N, heads, L, S] */
  public T forward(T q, T k, T v, T mask) {
    T w = inProjWeight.t(), b = inProjBias.t();
    T qh = split(F.linear(q, w.slice(0, 0, embed), b.slice(0, 0, embed)), q);
    T kh = split(F.linear(k, w.slice(0, embed, 2 * embed), b.slice(0, embed, 2 * embed)), k);
    T vh = split(F.linear(v, w.slice(0, 2 * embed, 3 * embed), b.slice(0, 2 * embed, 3 * embed)), v);
    T o = F.attention(qh, kh, vh, mask, Double.NaN, false);
    // [N, h, L, hd] -> [N, L, h, hd] -> [N, L, E]; -1 keeps a symbolic batch symbolic.
    return outProj.forward(o.transpose(1, 2).reshape(-1, q.size(1), embed));
  }

  /** [N, L, E] -> [N, h, L, E/h]. */
  private T split(T x, T input) { return x.reshape(-1, input.size(1), heads, embed / heads).transpose(1, 2); }
}
