package dev.kiln.runtime.exec;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs {@link CompiledModel}s that are not thread-safe: each call takes an idle instance (or makes one when all are
 * busy), runs it, and returns it. At most {@code maxIdle} instances are kept between calls, so a burst of threads
 * does not pin its buffers forever. Instances share the weights; only their scratch buffers are per instance.
 */
final class InstancePool implements Executable {
  private final Supplier<CompiledModel> factory;
  private final ConcurrentLinkedDeque<CompiledModel> idle = new ConcurrentLinkedDeque<>();
  private final AtomicInteger idleCount = new AtomicInteger();
  private final int maxIdle;

  /** @param first an instance already made (loading makes one to check the class), kept as the first idle one */
  InstancePool(CompiledModel first, Supplier<CompiledModel> factory, int maxIdle) {
    this.factory = factory;
    this.maxIdle = maxIdle;
    idle.push(first);
    idleCount.set(1);
  }

  @Override public List<Object> run(List<Object> inputs) {
    CompiledModel m = idle.poll();
    if (m != null) idleCount.decrementAndGet();
    else m = factory.get();
    try {
      return m.run(inputs);
    } finally {
      // Most recently used first: its buffers are the likeliest to be warm in cache.
      if (idleCount.incrementAndGet() <= maxIdle) idle.push(m);
      else idleCount.decrementAndGet();
    }
  }

  /** Instances kept between calls right now (for tests and monitoring). */
  int idleInstances() { return idleCount.get(); }
}
