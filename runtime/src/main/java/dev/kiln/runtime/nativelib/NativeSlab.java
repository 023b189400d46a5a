package dev.kiln.runtime.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One block of native memory carved into 64-byte aligned, zeroed buffers: a model instance's storages, workspace
 * and sync area (so a run walks one contiguous region instead of a malloc chunk per buffer). On Linux, when the block
 * is at least {@link #HUGE_PAGE} bytes, it is an anonymous {@code mmap}, 2 MiB aligned, advised
 * {@code MADV_HUGEPAGE} and touched once, so it gets transparent huge pages where the kernel has them in
 * {@code madvise} mode (the default on most distributions): a model's tens of megabytes of weights and activations
 * then take tens of TLB entries instead of thousands. Anything refused (no mmap, madvise failing, another OS, the
 * system property {@code kiln.native.hugePages=false} read at each call) falls back silently to plain memory, logged
 * once at debug level. The buffers' contents are the same either way, so results are the same bits.
 */
final class NativeSlab {
  /** The huge page size the block is aligned to (x86-64 and arm64 PMD size). */
  static final long HUGE_PAGE = 2L << 20;

  private static final int MADV_HUGEPAGE = 14;
  private static final AtomicBoolean LOGGED = new AtomicBoolean();
  private static final Libc LIBC = Libc.find();

  /** Where a block came from. */
  enum Kind {
    /** mmap, 2 MiB aligned, MADV_HUGEPAGE accepted. */
    HUGE,
    /** mmap, but madvise was refused: normal pages. */
    MAPPED,
    /** The arena's allocator (malloc). */
    PLAIN
  }

  /** The carved buffers, in the order of the sizes asked for, and what the block is. */
  record Carved(MemorySegment[] buffers, Kind kind, long blockBytes) {}

  private NativeSlab() {}

  static boolean hugePagesWanted() { return !"false".equals(System.getProperty("kiln.native.hugePages")); }

  /** Buffers of {@code bytes[i]} bytes each (at least 1), 64-byte aligned, zeroed, living as long as {@code arena}. */
  static Carved carve(Arena arena, long[] bytes) { return carve(arena, bytes, hugePagesWanted(), MADV_HUGEPAGE); }

  /** As {@link #carve(Arena, long[])}; {@code advice} is the madvise advice (tests pass an invalid one to see a refusal). */
  static Carved carve(Arena arena, long[] bytes, boolean huge, int advice) {
    long[] at = new long[bytes.length];
    long total = 0;
    for (int i = 0; i < bytes.length; i++) {
      at[i] = total;
      total += (Math.max(1, bytes[i]) + NativeBuffers.ALIGN - 1) / NativeBuffers.ALIGN * NativeBuffers.ALIGN;
    }
    total = Math.max(total, NativeBuffers.ALIGN);
    MemorySegment block = null;
    Kind kind = Kind.PLAIN;
    if (huge && total >= HUGE_PAGE && LIBC != null) {
      long size = (total + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
      Libc.Mapped m = LIBC.map(arena, size, advice);
      if (m != null) {
        block = m.block();
        kind = m.advised() ? Kind.HUGE : Kind.MAPPED;
        total = size;
      }
    }
    if (block == null) block = NativeBuffers.scratch(arena, total);
    MemorySegment[] out = new MemorySegment[bytes.length];
    for (int i = 0; i < bytes.length; i++) out[i] = block.asSlice(at[i], Math.max(1, bytes[i]));
    return new Carved(out, kind, total);
  }

  private static void debugOnce(String what) {
    if (LOGGED.compareAndSet(false, true))
      System.getLogger(NativeSlab.class.getName()).log(System.Logger.Level.DEBUG, "native buffers on normal pages: " + what);
  }

  /** mmap, madvise and munmap of the C library, on Linux only (the flag values below are Linux's). */
  private record Libc(MethodHandle mmap, MethodHandle madvise, MethodHandle munmap) {
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22;

    static Libc find() {
      try {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
          debugOnce("not Linux");
          return null;
        }
        Linker l = Linker.nativeLinker();
        Optional<MemorySegment> mmap = l.defaultLookup().find("mmap"), madvise = l.defaultLookup().find("madvise"),
            munmap = l.defaultLookup().find("munmap");
        if (mmap.isEmpty() || madvise.isEmpty() || munmap.isEmpty()) {
          debugOnce("no mmap/madvise/munmap in the C library");
          return null;
        }
        ValueLayout.OfLong size = ValueLayout.JAVA_LONG;
        return new Libc(
            l.downcallHandle(mmap.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, size, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, size)),
            l.downcallHandle(madvise.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, size, ValueLayout.JAVA_INT)),
            l.downcallHandle(munmap.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, size)));
      } catch (RuntimeException | LinkageError e) { // no native access, no linker on this platform
        debugOnce("no native linker (" + e + ")");
        return null;
      }
    }

    /**
     * {@code size} bytes (a multiple of {@link #HUGE_PAGE}) of fresh mapped memory aligned to {@link #HUGE_PAGE},
     * advised with {@code advice} before the first touch, then touched page by page; null if mmap fails. Unmapped
     * when {@code arena} is closed or collected.
     */
    Mapped map(Arena arena, long size, int advice) {
      try {
        long span = size + HUGE_PAGE;
        MemorySegment raw = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, span, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        if (raw.address() == -1L || raw.address() == 0L) {
          debugOnce("mmap of " + span + " bytes failed");
          return null;
        }
        long base = raw.address(), start = (base + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        MethodHandle unmap = munmap;
        MemorySegment.ofAddress(base).reinterpret(span, arena, s -> {
          try {
            int ignored = (int) unmap.invokeExact(s, span);
          } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
          }
        });
        MemorySegment block = MemorySegment.ofAddress(start).reinterpret(size, arena, null);
        int rc = (int) madvise.invokeExact(block, size, advice);
        if (rc != 0) debugOnce("madvise(MADV_HUGEPAGE) refused");
        for (long o = 0; o < size; o += 4096) block.set(ValueLayout.JAVA_BYTE, o, (byte) 0); // fault every page in now
        return new Mapped(block, rc == 0);
      } catch (Throwable t) {
        debugOnce("mmap/madvise failed (" + t + ")");
        return null;
      }
    }

    /** A mapped block and whether the kernel accepted the advice. */
    record Mapped(MemorySegment block, boolean advised) {}
  }
}
