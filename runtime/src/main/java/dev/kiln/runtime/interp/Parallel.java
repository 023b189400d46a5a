package dev.kiln.runtime.interp;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * A small fixed pool (one worker per core) for the heavy kernels. Work is split into at most {@code 2 * cores}
 * contiguous ranges; the pool holds no state between calls, so interpreter runs on many threads can share it.
 */
final class Parallel {
  private Parallel() {}

  private static final int CORES = Math.max(1, Runtime.getRuntime().availableProcessors());
  private static final ForkJoinPool POOL = new ForkJoinPool(CORES, pool -> {
    var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
    t.setDaemon(true);
    t.setName("kiln-kernel-" + t.getPoolIndex());
    return t;
  }, null, false);

  /** Calls {@code body(from, to)} over disjoint ranges covering [0, n); ranges have at least {@code grain} items. */
  interface RangeBody {
    void run(int from, int to);
  }

  static void forRange(int n, int grain, RangeBody body) {
    int parts = Math.min(CORES * 2, Math.max(1, n / Math.max(1, grain)));
    if (parts <= 1 || CORES == 1) {
      body.run(0, n);
      return;
    }
    ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts];
    for (int p = 0; p < parts; p++) {
      int from = (int) ((long) n * p / parts), to = (int) ((long) n * (p + 1) / parts);
      tasks[p] = new RecursiveAction() {
        @Override protected void compute() { body.run(from, to); }
      };
    }
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == POOL) {
      ForkJoinTask.invokeAll(tasks);
    } else {
      for (int p = 1; p < parts; p++) POOL.execute(tasks[p]);
      tasks[0].invoke();
      for (int p = 1; p < parts; p++) tasks[p].join();
    }
  }
}
