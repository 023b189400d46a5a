package dev.kiln.runtime.nativelib;

import dev.kiln.runtime.KilnRuntimeException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * One int8 plan step bound to the executor's storages ({@link Int8Node#direct}): an argument block of its own whose
 * x is the input buffer's storage and whose y is the output buffer's, filled once, so a run is one downcall: no
 * tensors, no copy of the result, no list. Several steps of one reference graph (the LSTM's per-step
 * {@code q.linear_dynamic}) share the {@link Int8Node} and its constants but each has its own block. The scratch
 * slots are shared (steps run one after the other).
 */
final class Int8Direct {
  private final MethodHandle fn;
  private final MemorySegment args;
  private final long work;
  private final String what;

  Int8Direct(MethodHandle fn, MemorySegment args, long work, String what) {
    this.fn = fn;
    this.args = args;
    this.work = work;
    this.what = what;
  }

  /** Runs the routine: on the caller alone below {@code minForkWork} or with one thread, else on a gang. */
  void run(int threads, long minForkWork) {
    try {
      if (threads <= 1 || work < minForkWork) fn.invokeExact(args, 0, 1);
      else NativeThreads.run(threads, (tid, count) -> {
        fn.invokeExact(args, tid, count);
      });
    } catch (Throwable t) {
      throw new KilnRuntimeException("native int8 node " + what + " failed: " + t, t);
    }
  }

  /** Whether two native ranges share a byte. */
  static boolean overlap(MemorySegment a, MemorySegment b) {
    return a.address() < b.address() + b.byteSize() && b.address() < a.address() + a.byteSize();
  }
}
