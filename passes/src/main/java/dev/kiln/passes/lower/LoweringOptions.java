package dev.kiln.passes.lower;

/**
 * Choices the lowering makes differently per backend.
 *
 * @param winograd whether stride-1 3x3 convolutions may become Winograd kernels ({@link WinogradLowering}):
 *     {@code OFF} never, {@code AUTO} per layer by its cost model, {@code F2X2} / {@code F4X4} every eligible layer
 *     with that tile (for measurements and tests)
 */
public record LoweringOptions(Winograd winograd) {
  /** Winograd convolution policy. */
  public enum Winograd { OFF, AUTO, F2X2, F4X4 }

  /** What {@link KernelLowering#lower(dev.kiln.ir.Graph)} uses: direct convolutions only. */
  public static final LoweringOptions DEFAULT = new LoweringOptions(Winograd.OFF);

  /** For the LLVM backend, whose batched GEMMs make Winograd pay off on most 3x3 layers. */
  public static final LoweringOptions NATIVE = new LoweringOptions(Winograd.AUTO);

  public LoweringOptions {
    if (winograd == null) throw new IllegalArgumentException("winograd policy must not be null");
  }
}
