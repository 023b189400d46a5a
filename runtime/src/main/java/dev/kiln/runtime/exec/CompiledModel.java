package dev.kiln.runtime.exec;

/**
 * The entry class a code generator emits into a jvm artifact. It must have a public constructor taking
 * {@code java.util.Map<String, dev.kiln.runtime.Tensor>} (the artifact's weights by name, read-only and shared by all
 * instances); the loader calls it once per instance it needs.
 *
 * <p>Thread safety is the generator's choice. An instance that keeps no per-call state in fields returns true from
 * {@link #isThreadSafe()} (the default) and one instance serves every thread. Generated code that keeps per-instance
 * scratch buffers (a planned activation arena, packed GEMM panels) returns false: {@link KilnModel} then keeps a pool
 * of instances and gives each call exclusive use of one, creating another when all are busy, so buffers are reused
 * across calls without locks and never shared between threads.
 */
public interface CompiledModel extends Executable {
  /** True when one instance may run on many threads at once; false asks for a pool of instances (see above). */
  default boolean isThreadSafe() { return true; }
}
