package dev.kiln.runtime.nativelib;

import dev.kiln.runtime.kernels.Threads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The runtime's worker threads for native code: platform daemon threads ({@code kiln-native-N}), created on demand
 * and kept, at most {@code max(Threads.threads(), wanted) - 1} of them. A native segment runs as a <em>gang</em>: the
 * calling thread is thread 0 and takes up to {@code wanted - 1} idle workers for threads 1.. (a worker serves one gang
 * at a time). When fewer are idle (several callers at once), the gang is smaller rather than waiting: the generated
 * code's barriers wait for every thread of the gang, so each must be running, and its results do not depend on the
 * thread count. Nothing is queued, so nothing can deadlock.
 */
final class NativeThreads {
  private NativeThreads() {}

  private static final Deque<Worker> IDLE = new ArrayDeque<>();
  private static int created;

  /** One thread's part of a gang: {@code run(tid, nthreads)}. */
  interface Part {
    void run(int tid, int nthreads) throws Throwable;
  }

  /**
   * Runs {@code part} on a gang of at most {@code wanted} threads (the caller is thread 0) and returns when every
   * thread is done; the first failure is rethrown.
   */
  static void run(int wanted, Part part) throws Throwable {
    List<Worker> gang = take(wanted - 1);
    int n = gang.size() + 1;
    AtomicInteger left = new AtomicInteger(gang.size());
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread caller = Thread.currentThread();
    for (int i = 0; i < gang.size(); i++) {
      int tid = i + 1;
      Worker w = gang.get(i);
      w.start(() -> {
        try {
          part.run(tid, n);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          give(w);
          if (left.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
      });
    }
    try {
      part.run(0, n);
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    }
    while (left.get() > 0) LockSupport.park(NativeThreads.class);
    if (failure.get() != null) throw failure.get();
  }

  private static synchronized List<Worker> take(int wanted) {
    List<Worker> out = new ArrayList<>();
    int cap = Math.max(Threads.threads(), wanted + 1) - 1;
    while (out.size() < wanted) {
      if (!IDLE.isEmpty()) out.add(IDLE.pop());
      else if (created < cap) out.add(new Worker(created++));
      else break;
    }
    return out;
  }

  private static synchronized void give(Worker w) { IDLE.push(w); }

  /** Waits (parked) for a task, runs it, and waits again. */
  private static final class Worker extends Thread {
    private volatile Runnable task;

    Worker(int index) {
      super("kiln-native-" + index);
      setDaemon(true);
      start();
    }

    void start(Runnable r) {
      task = r;
      LockSupport.unpark(this);
    }

    @Override public void run() {
      while (true) {
        Runnable r = task;
        if (r == null) {
          LockSupport.park(this);
          continue;
        }
        task = null;
        r.run();
      }
    }
  }
}
