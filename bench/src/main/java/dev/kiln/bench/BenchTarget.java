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

  /**
   * How long the last {@link #run} took counting only what a timed call does (not the copy of the output a fetch
   * makes), in nanoseconds; -1 when the target does not measure it (then the race times the whole call).
   */
  default long lastRunNanos() { return -1; }

  @Override default void close() {}
}
