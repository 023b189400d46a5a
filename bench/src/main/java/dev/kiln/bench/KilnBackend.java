package dev.kiln.bench;

import dev.kiln.ir.Graph;
import dev.kiln.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One way to run an optimized Kiln graph: the reference interpreter, the JVM backend, the LLVM backend. The bench
 * picks one by name from {@link KilnBackends}; adding a backend is one entry there.
 */
@FunctionalInterface
public interface KilnBackend {
  /** A compiled model: thread-safe, called with the inputs in order, returns the outputs in order. */
  @FunctionalInterface
  interface Compiled {
    List<Object> run(List<Object> inputs);

    /** What the backend made of the model (e.g. native and fallback kernels, compile times), or empty. */
    default String describe() { return ""; }

    /** Frees native state (machine code); the model must not run afterwards. */
    default void close() {}
  }

  /**
   * Compiles an optimized graph. Called once per model and batch, before the race (its time is reported apart).
   *
   * @param optimized the graph after the optimization pipeline, verified; not null
   * @param weights the weight table its {@code const {name=...}} nodes read, not null (shared read-only)
   * @throws Exception when the backend cannot compile the graph (the bench reports it and skips the cell)
   */
  Compiled compile(Graph optimized, Map<String, Tensor> weights) throws Exception;
}
