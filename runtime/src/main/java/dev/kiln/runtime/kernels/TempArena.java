package dev.kiln.runtime.kernels;

import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The float temporaries of a generated model's runs, kept between runs: a frame is one array per slot (sizes fixed
 * by the code generator, which gives buffers whose lifetimes do not overlap the same slot). {@link #take} hands a
 * run a frame nobody else holds (a new one when all are in use, so concurrent runs never share arrays), and
 * {@link #give} returns it. Arrays keep the previous run's values: generated kernels write every temp element before
 * reading it. {@code -Dkiln.jvm.arena.poison=true} fills every frame taken with NaN, for tests that check this.
 */
public final class TempArena {
  private static final boolean POISON = Boolean.getBoolean("kiln.jvm.arena.poison");

  private final int[] sizes;
  private final ConcurrentLinkedQueue<float[][]> free = new ConcurrentLinkedQueue<>();

  /** @param sizes floats per slot */
  public TempArena(int[] sizes) {
    for (int s : sizes) if (s < 0) throw new IllegalArgumentException("negative temp slot size " + s);
    this.sizes = sizes.clone();
  }

  /** A frame for one run: {@code frame[slot]} has at least {@code sizes[slot]} floats. */
  public float[][] take() {
    float[][] f = free.poll();
    if (f == null) {
      f = new float[sizes.length][];
      for (int i = 0; i < sizes.length; i++) f[i] = new float[sizes[i]];
    }
    if (POISON) for (float[] a : f) Arrays.fill(a, Float.NaN);
    return f;
  }

  /** Returns a frame after its run; the run's results must not be in it. */
  public void give(float[][] frame) { free.offer(frame); }

  /** Slots per frame. */
  public int slots() { return sizes.length; }
}
