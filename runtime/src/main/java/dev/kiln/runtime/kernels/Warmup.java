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
    // running: the warm-up's own prepacking (Gemm.prepackB starts a warm-up) must not start it again.
    if (done || running) return 0;
    running = true;
    try {
      return warm();
    } finally {
      running = false;
    }
  }

  private static boolean running;

  private static int warm() {
    // 4 x MR rows: more than GemmSmall takes, so the packed path and its micro-kernel get compiled (at 2 x MR = 16
    // rows GemmSmall took every warm-up product and GemmKernel.tile stayed cold); every fourth product has 4 rows
    // for GemmSmall's kernels.
    int n = GemmKernel.NR * 2, m = GemmKernel.MR * 4, k = 128;
    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
    long start = System.nanoTime(), deadline = start + MAX_MILLIS * 1_000_000;
    // Compiled, this product (2 * 32 * 64 * 128 flops) takes about 6 us; interpreted, milliseconds.
    long fastNanos = 30_000;
    int reps = 0, fastInARow = 0;
    while (fastInARow < 5 && System.nanoTime() < deadline) {
      long t = System.nanoTime();
      // Full and ragged tiles (n - 5 columns), overwrite and accumulate: the branches large calls take.
      int rows = reps % 4 == 3 ? 4 : m;
      Gemm.sgemm(false, (reps & 4) != 0, rows, n - (reps & 1) * 5, k, 1f, a, 0, k, b, 0, (reps & 4) != 0 ? k : n, reps & 2, c, 0, n);
      fastInARow = System.nanoTime() - t < fastNanos ? fastInARow + 1 : 0;
      reps++;
    }
    reps += convs(deadline);
    done = true;
    return reps;
  }

  /**
   * The convolution kernels too ({@link ConvTile} through {@link ConvNhwc}, and {@link Depthwise}): a padded 3x3
   * convolution with full and ragged tiles and a fused epilogue, and a depthwise one, until both run compiled.
   */
  private static int convs(long deadline) {
    ConvParams p = ConvParams.of(1, 32, 10, 10, GemmKernel.NR + 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    // One vector past a panel: the narrow tiles (ConvNarrowTile) of oc = 16, 48, 144 ...
    ConvParams pn = ConvParams.of(1, 32, 10, 10, GemmKernel.NR + GemmKernel.L, 1, 1, 1, 1, 0, 0, 1, 1, 1);
    ConvParams dw = ConvParams.of(1, 64, 10, 10, 64, 3, 3, 1, 1, 1, 1, 1, 1, 64);
    float[] x = new float[(int) dw.inputSize()], w = new float[(int) p.weightSize()], wd = new float[(int) dw.weightSize()];
    float[] bias = new float[64], y = new float[(int) Math.max(Math.max(p.outputSize(), pn.outputSize()), dw.outputSize())], res = new float[y.length];
    PackedMatrix[] packed = Conv2d.prepack(p, w, true), packedN = Conv2d.prepack(pn, new float[(int) pn.weightSize()], true);
    if (packed == null || packedN == null) return 0;
    // Compiled, the pair takes a few tens of microseconds; interpreted, milliseconds.
    long fastNanos = 100_000;
    int reps = 0, fastInARow = 0;
    while (fastInARow < 5 && System.nanoTime() < deadline) {
      long t = System.nanoTime();
      ConvNhwc.run(p, x, 0, packed[0], bias, y, 0, (reps & 1) == 0 ? res : null, 0f, Float.POSITIVE_INFINITY);
      ConvNhwc.run(pn, x, 0, packedN[0], bias, y, 0, (reps & 1) == 0 ? res : null, 0f, Float.POSITIVE_INFINITY);
      Depthwise.nhwc(dw, x, 0, wd, bias, y, 0, (reps & 1) == 0 ? res : null, 0f, 6f);
      fastInARow = System.nanoTime() - t < fastNanos ? fastInARow + 1 : 0;
      reps++;
    }
    return reps;
  }
}
