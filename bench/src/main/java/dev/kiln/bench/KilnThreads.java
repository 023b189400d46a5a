package dev.kiln.bench;

import java.lang.reflect.Method;

/**
 * Sets the thread count of Kiln's kernels through {@code dev.kiln.runtime.kernels.Threads.setThreads(int)}, which
 * the "prims" engineer adds in issue 6. Looked up by reflection so the bench builds before that class exists;
 * until then the interpreter uses its own pool sized to all cores, and the report says so.
 */
final class KilnThreads {
  private KilnThreads() {}

  private static final Method SET = find();

  private static Method find() {
    try {
      return Class.forName("dev.kiln.runtime.kernels.Threads").getMethod("setThreads", int.class);
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** Whether {@link #set} has an effect on this build. */
  static boolean controllable() { return SET != null; }

  /** Sets Kiln's kernel threads when possible; returns whether it did. */
  static boolean set(int threads) {
    if (SET == null) return false;
    try {
      SET.invoke(null, threads);
      return true;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("kiln: Threads.setThreads(" + threads + ") failed: " + e.getCause(), e);
    }
  }
}
