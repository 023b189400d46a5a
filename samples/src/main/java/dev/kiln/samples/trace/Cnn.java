package dev.kiln.samples.trace;

import dev.kiln.frontend.trace.Module;
import dev.kiln.frontend.trace.T;
import dev.kiln.frontend.trace.nn.AdaptiveAvgPool2d;
import dev.kiln.frontend.trace.nn.BatchNorm2d;
import dev.kiln.frontend.trace.nn.Conv2d;
import dev.kiln.frontend.trace.nn.Linear;
import dev.kiln.frontend.trace.nn.MaxPool2d;
import dev.kiln.frontend.trace.nn.Sequential;

/**
 * A small residual CNN written in Java, mirroring {@code CNN} in tests/fixtures/gen_trace.py: its state-dict keys
 * are PyTorch's ({@code layer1.0.conv1.weight}, {@code layer1.1.bn2.running_var}, ...).
 */
public final class Cnn extends Module {
  /** conv-bn-relu, conv-bn, plus the input, then relu (ResNet's basic block without downsampling). */
  public static final class BasicBlock extends Module {
    private final Conv2d conv1, conv2;
    private final BatchNorm2d bn1, bn2;

    public BasicBlock(long c) {
      conv1 = child("conv1", new Conv2d(c, c, 3, 1, 1, 1, 1, false));
      bn1 = child("bn1", new BatchNorm2d(c));
      conv2 = child("conv2", new Conv2d(c, c, 3, 1, 1, 1, 1, false));
      bn2 = child("bn2", new BatchNorm2d(c));
    }

    @Override public T forward(T x) {
      T y = bn1.forward(conv1.forward(x)).relu();
      y = bn2.forward(conv2.forward(y));
      return y.add(x).relu();
    }
  }

  private final Conv2d conv1 = child("conv1", new Conv2d(3, 8, 3, 1, 1, 1, 1, false));
  private final BatchNorm2d bn1 = child("bn1", new BatchNorm2d(8));
  private final MaxPool2d pool = child("pool", new MaxPool2d(2));
  private final Sequential layer1 = child("layer1", new Sequential(new BasicBlock(8), new BasicBlock(8)));
  private final AdaptiveAvgPool2d avgpool = child("avgpool", new AdaptiveAvgPool2d(1, 1));
  private final Linear fc = child("fc", new Linear(8, 5));

  @Override public T forward(T x) {
    x = pool.forward(bn1.forward(conv1.forward(x)).relu());
    x = layer1.forward(x);
    return fc.forward(avgpool.forward(x).flatten(1));
  }
}
