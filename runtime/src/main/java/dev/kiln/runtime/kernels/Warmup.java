package dev.kiln.runtime.kernels;

/**
 * Gets the Vector API kernels compiled by C2. Until C2 compiles them, vector code runs with every vector boxed,
 * some hundred times slower. Small products on one thread reach the compile thresholds cheaply; the loop stops as
 * soon as products run at compiled speed (C2 code installed), or after {@link #MAX_MILLIS}.
 *
 * <p>Measured on this 2-core Zen 4 VM: before the first call of a model (ResNet-18 in the interpreter, 20 conv
 * shapes) the warm-up cut the first run from 1.1-1.5 s to 0.8-1.0 s; before a lone 512^3 product it did not help
 * (the caller waits for the same C2 compile either way: 0.3-0.6 s to the first result with or without). So it is on
 * by default for calls of at least {@link #MIN_WORK} multiply-adds; {@code -Dkiln.kernels.warmup=false} turns it
 * off. {@link Gemm#warmUp()} runs it on demand, e.g. on a background thread while a model's weights load.
 */
final class Warmup {
  private Warmup() {}

  static final boolean AUTO = !"false".equals(System.getProperty("kiln.kernels.warmup"));
  /** Products below this many multiply-adds never wait for a warm-up (they are cheap even interpreted). */
  static final long MIN_WORK = 1L << 22;
  static final long MAX_MILLIS = 3000;

  private static volatile boolean done;

  /** Warms up first if automatic warm-up is on, not done yet, and {@code work} (multiply-adds) is large. */
  static void ensure(long work) {
    if (AUTO && !done && work >= MIN_WORK) run();
  }

  /** Runs the warm-up once per JVM; concurrent callers wait for the first. Returns the small products it ran. */
  static synchronized int run() {
    if (done) return 0;
    int n = GemmKernel.NR * 2, m = GemmKernel.MR * 2, k = 128;
    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
    long start = System.nanoTime(), deadline = start + MAX_MILLIS * 1_000_000;
    // Compiled, this product (2 * 16 * 64 * 128 flops) takes about 3 us; interpreted, milliseconds.
    long fastNanos = 30_000;
    int reps = 0, fastInARow = 0;
    while (fastInARow < 5 && System.nanoTime() < deadline) {
      long t = System.nanoTime();
      // Full and ragged tiles (n - 5 columns), overwrite and accumulate: the branches large calls take.
      Gemm.sgemm(false, (reps & 4) != 0, m, n - (reps & 1) * 5, k, 1f, a, 0, k, b, 0, (reps & 4) != 0 ? k : n, reps & 2, c, 0, n);
      fastInARow = System.nanoTime() - t < fastNanos ? fastInARow + 1 : 0;
      reps++;
    }
    done = true;
    return reps;
  }
}
