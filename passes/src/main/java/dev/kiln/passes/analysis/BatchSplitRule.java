package dev.kiln.passes.analysis;

import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.Locale;

/**
 * When a backend should compile a graph for batch 1 and run the samples one by one (the JVM backend's
 * {@code BatchSplit}, the LLVM backend's {@code LlvmBatchSplit}): the graph is batch-separable ({@link BatchSeparable}),
 * its batch is not 1, and (unless the mode says {@code always}) one sample's activations take at least as many bytes
 * as the weights. Each sample reads every weight again, which costs more than it saves when the weights are the larger
 * traffic (resnet18 at batch 8: 47 MB of weights, 12 MB of activations per sample; an MLP); when the activations are
 * the larger traffic (mobilenet_v2 at batch 8: one expanded activation is 38 MB), one sample's stay in cache.
 *
 * <p>Stateless; reads the graph only.
 */
public final class BatchSplitRule {
  private BatchSplitRule() {}

  /** What a backend's switch ({@code -Dkiln.jvm.batchSplit}, {@code -Dkiln.llvm.batchSplit}) asks for. */
  public enum Mode {
    /** Never split. */
    OFF,
    /** Split when the cost rule says so. */
    COST,
    /** Split every separable graph whose batch is not 1. */
    ALWAYS;

    /** {@code false} is OFF, {@code always} ALWAYS, anything else (null, {@code true}) COST; case and blanks ignored. */
    public static Mode parse(String text) {
      String t = text == null ? "true" : text.strip().toLowerCase(Locale.ROOT);
      return t.equals("false") ? OFF : t.equals("always") ? ALWAYS : COST;
    }
  }

  /**
   * @param perSample the batch-1 copy of the graph ({@link PerSampleGraph})
   * @param batch the batch of the given graph's parameters: a static size other than 0 and 1, or a symbol
   */
  public record Split(Graph perSample, Dim batch) {}

  /**
   * The split for {@code g}, or null when the mode is OFF, the graph is not separable, its batch is 0 or 1, the cost
   * rule says no (mode COST), or the graph's shape rules disagree at batch 1 (the batched graph is then compiled as
   * it is).
   */
  public static Split plan(Graph g, Mode mode) {
    if (mode == Mode.OFF) return null;
    BatchSeparable.Result r = BatchSeparable.analyze(g);
    if (!r.separable() || r.batch().is(1) || r.batch().is(0)) return null;
    if (mode == Mode.COST && activationBytesPerSample(g, r) < weightBytes(g)) return null;
    try {
      return new Split(PerSampleGraph.of(g), r.batch());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Bytes of one sample's share of the parameters and top-level batched results (what a run writes and reads). */
  public static long activationBytesPerSample(Graph g, BatchSeparable.Result r) {
    long bytes = 0;
    for (Value v : g.params()) bytes += perSampleBytes(v);
    for (Node n : g.body().nodes())
      for (Value v : n.results()) if (r.batched().contains(v)) bytes += perSampleBytes(v);
    return bytes;
  }

  /** Bytes of the named weights the graph reads ({@code const {name=...}} of static shape). */
  public static long weightBytes(Graph g) {
    long bytes = 0;
    for (Node n : g.allNodes())
      if (n.op().name().equals("const") && !n.attrIsNone("name") && n.result().type() instanceof TensorType t && t.shape().isStatic())
        bytes += t.shape().numel() * t.dtype().byteSize();
    return bytes;
  }

  private static long perSampleBytes(Value v) {
    TensorType t = (TensorType) v.type();
    long n = t.dtype().byteSize();
    for (int i = 1; i < t.rank(); i++) n *= Math.max(1, t.shape().dim(i).size());
    return n;
  }
}
