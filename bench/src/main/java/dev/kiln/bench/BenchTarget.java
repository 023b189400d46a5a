package dev.kiln.bench;

/**
 * One runtime with one model and one input already bound: what a timed call does and nothing else. The race calls
 * {@link #run} many times from one thread, alternating with the peer's target; {@link #close} frees native state.
 */
public interface BenchTarget extends AutoCloseable {
  /** Short name for tables and messages, such as {@code "kiln-interp"} or {@code "ort"}; not null. */
  String label();

  /**
   * Runs the model once on the bound input.
   *
   * @param fetch whether to copy the first output out as floats (for the reference check); timed calls pass false
   * @return the first output flattened in row-major order when {@code fetch}, otherwise null
   */
  float[] run(boolean fetch);

  @Override default void close() {}
}
