package dev.kiln.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ThreadsTest {
  @AfterEach
  void restore() { Threads.setThreads(Runtime.getRuntime().availableProcessors()); }

  @Test
  void everyTaskRunsExactlyOnce() {
    for (int threads : new int[] {1, 2, 4}) {
      Threads.setThreads(threads);
      AtomicIntegerArray hits = new AtomicIntegerArray(1000);
      Threads.forEach(1000, hits::incrementAndGet);
      for (int i = 0; i < 1000; i++) assertEquals(1, hits.get(i), "task " + i + " with " + threads + " threads");
    }
  }

  @Test
  void nestedCallsRunOnTheWorkerThatMadeThem() {
    Threads.setThreads(2);
    Set<String> mismatches = ConcurrentHashMap.newKeySet();
    Threads.forEach(8, t -> {
      Thread outer = Thread.currentThread();
      boolean inPool = Threads.inPool();
      Threads.forEach(4, u -> {
        if (inPool && Thread.currentThread() != outer) mismatches.add(t + "/" + u);
      });
    });
    assertTrue(mismatches.isEmpty(), "nested tasks left their worker: " + mismatches);
  }

  @Test
  void failuresReachTheCaller() {
    Threads.setThreads(2);
    var e = assertThrows(IllegalStateException.class, () -> Threads.forEach(50, t -> {
      if (t == 37) throw new IllegalStateException("task 37 failed");
    }));
    assertEquals("task 37 failed", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Threads.setThreads(0));
  }
}
