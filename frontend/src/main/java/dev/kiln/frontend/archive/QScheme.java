package dev.kiln.frontend.archive;

/** The {@code torch.per_*_affine} quantization schemes a pickle may name. */
public enum QScheme {
  PER_TENSOR_AFFINE, PER_CHANNEL_AFFINE;

  @Override public String toString() { return "torch." + name().toLowerCase(java.util.Locale.ROOT); }
}
