package dev.kiln.bench;

import dev.kiln.runtime.kernels.Gemm;
import dev.kiln.runtime.kernels.Threads;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Throughput of {@link Gemm#sgemm} on square products (2*n^3 flops each): median and best GFLOP/s of several timed
 * runs after a warm-up, at 1 and 2 threads, as a share of an estimated single-core peak and of a measured one.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp <runtime+ir+bench classes> dev.kiln.bench.GemmBench
 * [sizes=256,512,1024] [runs=11] [ghz] [fmaPerCycle]}. The estimate is {@code lanes * fmaPerCycle * 2 * GHz}:
 * lanes from FloatVector.SPECIES_PREFERRED; GHz defaults to /proc/cpuinfo's "cpu MHz" (in a VM usually the base
 * clock, below the boost clock a busy core runs at); fmaPerCycle (full-width vector FMAs per cycle) defaults to 2,
 * except 1 for 16 lanes on AMD, whose Zen 4 runs a 512-bit FMA on its two 256-bit pipes. The measured peak is a loop
 * of 12 independent vector FMA chains with no memory traffic: what one core really sustains right now.
 */
public final class GemmBench {
  private GemmBench() {}

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  public static void main(String[] args) {
    int[] sizes = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {256, 512, 1024};
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 11;
    double ghz = args.length > 2 ? Double.parseDouble(args[2]) : cpuinfo("cpu MHz", 3000) / 1000;
    int lanes = S.length();
    boolean amd = cpuinfoText("vendor_id").contains("AMD");
    int fma = args.length > 3 ? Integer.parseInt(args[3]) : lanes == 16 && amd ? 1 : 2;
    double peak = lanes * fma * 2 * ghz;
    System.out.printf("estimated peak: %d lanes * %d vector FMA/cycle * 2 flops * %.2f GHz = %.1f GFLOP/s per core (%s)%n",
        lanes, fma, ghz, peak, cpuinfoText("model name"));
    if (args.length <= 2) System.out.println("  (clock from /proc/cpuinfo: in a VM the base clock; a busy core boosts higher, see the measured peak)");
    long t0 = System.nanoTime();
    int reps0 = Gemm.warmUp();
    System.out.printf("Gemm.warmUp(): %d small products, %.0f ms%n", reps0, (System.nanoTime() - t0) / 1e6);
    double measured = fmaPeak();
    System.out.printf("measured peak (independent FMA chains, 1 thread): %.1f GFLOP/s, i.e. %.2f GHz at %d flops/cycle%n",
        measured, measured / (lanes * fma * 2), lanes * fma * 2);
    for (int n : sizes) {
      float[] a = random(n * n, 3), b = random(n * n, 4), c = new float[n * n];
      for (int threads : new int[] {1, 2}) {
        Threads.setThreads(threads);
        int reps = Math.max(1, (int) (1e9 / (2.0 * n * n * n)));
        long warmEnd = System.nanoTime() + 500_000_000L;
        while (System.nanoTime() < warmEnd) Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        double[] g = new double[runs];
        for (int r = 0; r < runs; r++) {
          long s = System.nanoTime();
          for (int q = 0; q < reps; q++) Gemm.sgemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
          g[r] = 2.0 * n * n * n * reps / (System.nanoTime() - s);
        }
        Arrays.sort(g);
        double med = g[runs / 2], best = g[runs - 1];
        System.out.printf("n=%4d threads=%d  median %6.1f GFLOP/s (%5.1f%% est. / %5.1f%% measured 1-core peak)  best %6.1f (%5.1f%% / %5.1f%%)%n",
            n, threads, med, 100 * med / peak, 100 * med / measured, best, 100 * best / peak, 100 * best / measured);
      }
    }
    Threads.setThreads(Runtime.getRuntime().availableProcessors());
  }

  static float[] random(int len, long seed) {
    Random r = new Random(seed);
    float[] x = new float[len];
    for (int i = 0; i < len; i++) x[i] = r.nextFloat() - 0.5f;
    return x;
  }

  /** Best of a dozen runs of 12 independent FMA chains (enough to cover FMA latency x throughput). */
  static double fmaPeak() {
    double best = 0;
    int iters = 2_000_000;
    for (int r = 0; r < 12; r++) {
      long t = System.nanoTime();
      float sink = fmaLoop(iters);
      best = Math.max(best, 12.0 * 2 * S.length() * iters / (System.nanoTime() - t));
      if (sink == 42f) System.out.print(""); // keeps the loop's result alive
    }
    return best;
  }

  private static float fmaLoop(int iters) {
    FloatVector m = FloatVector.broadcast(S, 0.999999f), d = FloatVector.broadcast(S, 1e-7f);
    FloatVector a0 = d, a1 = d, a2 = d, a3 = d, a4 = d, a5 = d, a6 = d, a7 = d, a8 = d, a9 = d, a10 = d, a11 = d;
    for (int i = 0; i < iters; i++) {
      a0 = a0.fma(m, d); a1 = a1.fma(m, d); a2 = a2.fma(m, d); a3 = a3.fma(m, d);
      a4 = a4.fma(m, d); a5 = a5.fma(m, d); a6 = a6.fma(m, d); a7 = a7.fma(m, d);
      a8 = a8.fma(m, d); a9 = a9.fma(m, d); a10 = a10.fma(m, d); a11 = a11.fma(m, d);
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).reduceLanes(VectorOperators.ADD);
  }

  private static double cpuinfo(String key, double fallback) {
    String v = cpuinfoText(key);
    try {
      return v.isEmpty() ? fallback : Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** The first /proc/cpuinfo value for key, or "" (not Linux, or no such key). */
  private static String cpuinfoText(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo")))
        if (line.startsWith(key)) return line.substring(line.indexOf(':') + 1).trim();
    } catch (java.io.IOException e) {
      return "";
    }
    return "";
  }
}
