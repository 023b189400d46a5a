package dev.kiln.frontend.trace.nn;

import dev.kiln.frontend.trace.F;
import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.Parameter;
import dev.kiln.frontend.trace.T;
import dev.kiln.ir.DType;

/**
 * Batch norm in eval mode (running statistics), as torch.nn.BatchNorm2d: {@code weight}, {@code bias},
 * {@code running_mean}, {@code running_var} of [C] and {@code num_batches_tracked} (i64, unused at inference).
 */
public class BatchNorm2d extends Module {
  public final Parameter weight, bias, runningMean, runningVar, numBatchesTracked;
  private final double eps;

  public BatchNorm2d(long channels) { this(channels, 1e-5); }

  public BatchNorm2d(long channels, double eps) {
    this.weight = filled("weight", 1, channels);
    this.bias = filled("bias", 0, channels);
    this.runningMean = filled("running_mean", 0, channels);
    this.runningVar = filled("running_var", 1, channels);
    this.numBatchesTracked = param("num_batches_tracked", zerosOf(DType.I64));
    this.eps = eps;
  }

  @Override public T forward(T x) { return F.batchNorm(x, runningMean.t(), runningVar.t(), weight.t(), bias.t(), eps); }
}
