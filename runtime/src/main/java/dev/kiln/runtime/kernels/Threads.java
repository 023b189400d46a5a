package dev.kiln.runtime.kernels;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The worker pool shared by the heavy kernels (generated code and the reference interpreter alike). Kernels split
 * their work over output tiles, so every output element is computed by one thread in one fixed order: results do not
 * depend on the thread count. A kernel called from inside the pool (a kernel already running in parallel, e.g. conv
 * over images calling gemm) runs serially on its caller, so nesting never over-subscribes the cores.
 */
public final class Threads {
  private Threads() {}

  private static final int CORES = Math.max(1, Runtime.getRuntime().availableProcessors());
  private static volatile int threads = CORES;
  private static volatile ForkJoinPool pool = newPool(CORES);

  private static ForkJoinPool newPool(int size) {
    return new ForkJoinPool(size, Worker::new, null, false);
  }

  /** Our workers are recognised by class, so a pool replaced by setThreads still counts as "in the pool". */
  private static final class Worker extends ForkJoinWorkerThread {
    Worker(ForkJoinPool p) {
      super(null, p, true);
      setDaemon(true);
      setName("kiln-kernel-" + getPoolIndex());
    }
  }

  /** The fixed pool the kernels run on; at first sized to the cores, grown (replaced) by a larger {@link #setThreads}. */
  public static ForkJoinPool pool() { return pool; }

  /**
   * How many threads later kernel calls use (1 = everything on the calling thread). May be called at any time; calls
   * already running keep their split. The default is the number of cores.
   */
  public static synchronized void setThreads(int n) {
    if (n < 1) throw new IllegalArgumentException("threads must be at least 1, got " + n);
    if (n > pool.getParallelism()) pool = newPool(n);
    threads = n;
  }

  /** The thread count set by {@link #setThreads} (default: cores). */
  public static int threads() { return threads; }

  /** Whether the current thread is a worker of the kernel pool (then nested kernels run serially). */
  public static boolean inPool() {
    return Thread.currentThread() instanceof Worker;
  }

  /** {@code body.run(t)} for one task index t. */
  public interface TaskBody {
    void run(int task);
  }

  /**
   * Runs {@code body} for every task index in [0, tasks), spread over at most {@code threads()} threads that take
   * indices in turn (dynamic, so a core busy with something else does not stall the rest). Serial when there is one
   * task, one thread, or the caller is already a pool worker. Exceptions from any task are rethrown to the caller.
   */
  public static void forEach(int tasks, TaskBody body) {
    int parts = Math.min(tasks, threads);
    if (parts <= 1 || inPool()) {
      for (int t = 0; t < tasks; t++) body.run(t);
      return;
    }
    AtomicInteger next = new AtomicInteger();
    // The first failure as thrown (ForkJoinTask.join would rethrow a copy with another message).
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ForkJoinTask<?>[] workers = new ForkJoinTask<?>[parts];
    for (int p = 0; p < parts; p++)
      workers[p] = new RecursiveAction() {
        @Override protected void compute() {
          try {
            for (int t; (t = next.getAndIncrement()) < tasks; ) body.run(t);
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
            next.set(tasks); // hand out no more tasks
          }
        }
      };
    ForkJoinPool fj = pool;
    for (int p = 1; p < parts; p++) fj.execute(workers[p]);
    // The caller works too: one fewer hand-off, and progress even when every pool thread is busy elsewhere. Every
    // worker is joined, failed or not, so none still writes the output after we return.
    workers[0].invoke();
    for (int p = 1; p < parts; p++) workers[p].join();
    switch (failure.get()) {
      case null -> {}
      case RuntimeException e -> throw e;
      case Error e -> throw e;
      case Throwable e -> throw new IllegalStateException(e);
    }
  }
}
