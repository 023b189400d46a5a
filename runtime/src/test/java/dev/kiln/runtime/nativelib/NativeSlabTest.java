package dev.kiln.runtime.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The block a model instance's buffers are carved from: every buffer 64-byte aligned, zeroed, disjoint and of the
 * size asked; on Linux a big block is a 2 MiB aligned mapping (huge pages when madvise is accepted, normal pages
 * when it is refused), small blocks and the switch off take the arena's memory. The same bits through a whole model
 * either way: {@code tests/…/MemoryLayoutLlvmTest}.
 */
class NativeSlabTest {
  static final long[] SIZES = {5000, 1, 3L << 20, 64, 12345, 128};

  private static boolean linux() { return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"); }

  @Test
  void bigBlockOnLinuxIsAlignedMappedAndAdvised() {
    Assumptions.assumeTrue(linux(), "mmap/madvise only on Linux");
    try (Arena arena = Arena.ofConfined()) {
      NativeSlab.Carved c = NativeSlab.carve(arena, SIZES, true, 14);
      assertTrue(c.kind() != NativeSlab.Kind.PLAIN, "a block of " + c.blockBytes() + " bytes is mapped");
      assertEquals(0, c.buffers()[0].address() % NativeSlab.HUGE_PAGE, "the block starts on a 2 MiB boundary");
      assertEquals(0, c.blockBytes() % NativeSlab.HUGE_PAGE, "whole huge pages");
      usable(c, SIZES);
    }
  }

  @Test
  void refusedAdviceFallsBackToNormalPages() {
    Assumptions.assumeTrue(linux(), "mmap/madvise only on Linux");
    try (Arena arena = Arena.ofConfined()) {
      NativeSlab.Carved c = NativeSlab.carve(arena, SIZES, true, 0x7fff_0000); // no such advice: EINVAL
      assertEquals(NativeSlab.Kind.MAPPED, c.kind());
      usable(c, SIZES);
    }
  }

  @Test
  void switchOffAndSmallBlocksUseTheArena() {
    try (Arena arena = Arena.ofConfined()) {
      NativeSlab.Carved off = NativeSlab.carve(arena, SIZES, false, 14);
      assertEquals(NativeSlab.Kind.PLAIN, off.kind());
      usable(off, SIZES);
      NativeSlab.Carved small = NativeSlab.carve(arena, new long[] {100, 200}, true, 14);
      assertEquals(NativeSlab.Kind.PLAIN, small.kind(), "under 2 MiB: no mapping");
      usable(small, new long[] {100, 200});
    }
    try {
      System.setProperty("kiln.native.hugePages", "false");
      assertTrue(!NativeSlab.hugePagesWanted());
      try (Arena arena = Arena.ofConfined()) {
        assertEquals(NativeSlab.Kind.PLAIN, NativeSlab.carve(arena, SIZES).kind());
      }
    } finally {
      System.clearProperty("kiln.native.hugePages");
    }
  }

  /** Sizes as asked, aligned, zeroed, and disjoint: writing each buffer full leaves the others' bytes alone. */
  private static void usable(NativeSlab.Carved c, long[] sizes) {
    MemorySegment[] b = c.buffers();
    assertEquals(sizes.length, b.length);
    for (int i = 0; i < b.length; i++) {
      assertEquals(Math.max(1, sizes[i]), b[i].byteSize(), "buffer " + i + " size");
      assertEquals(0, b[i].address() % NativeBuffers.ALIGN, "buffer " + i + " aligned");
      assertEquals(-1, b[i].mismatch(MemorySegment.ofArray(new byte[(int) b[i].byteSize()])), "buffer " + i + " zeroed");
    }
    for (int i = 0; i < b.length; i++) b[i].fill((byte) (i + 1));
    for (int i = 0; i < b.length; i++) {
      final int k = i;
      assertTrue(b[i].elements(ValueLayout.JAVA_BYTE).allMatch(s -> s.get(ValueLayout.JAVA_BYTE, 0) == k + 1), "buffer " + i + " intact");
    }
  }
}
