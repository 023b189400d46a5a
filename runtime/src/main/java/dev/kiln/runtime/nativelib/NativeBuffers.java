package dev.kiln.runtime.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap buffers as native kernels expect them: 64-byte aligned (one cache line, one AVX-512 vector) so packed
 * and vector accesses never split lines. Memory lives as long as the given arena.
 */
public final class NativeBuffers {
  /** Alignment of every buffer passed to generated code. */
  public static final long ALIGN = 64;

  private NativeBuffers() {}

  /** {@code n} zeroed floats, 64-byte aligned, in {@code arena}. */
  public static MemorySegment floats(Arena arena, long n) {
    return arena.allocate(Math.max(1, n) * Float.BYTES, ALIGN);
  }

  /** A 64-byte aligned copy of {@code data} in {@code arena} (for setting up inputs; kernels then work in place). */
  public static MemorySegment copyOf(Arena arena, float[] data) {
    MemorySegment s = floats(arena, data.length);
    MemorySegment.copy(data, 0, s, ValueLayout.JAVA_FLOAT, 0, data.length);
    return s;
  }

  /** {@code bytes} zeroed scratch bytes, 64-byte aligned. */
  public static MemorySegment scratch(Arena arena, long bytes) {
    return arena.allocate(Math.max(1, bytes), ALIGN);
  }
}
