package dev.kiln.codegen.llvm.bench;

import dev.kiln.codegen.llvm.HostCpu;
import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.codegen.llvm.gemm.GemmEmitter;
import dev.kiln.runtime.nativelib.NativeBuffers;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Measures the JIT-compiled GEMM on one core: GFLOP/s for N x N x N (default 512) against the machine's FMA peak,
 * and the time LLVM takes to build, optimise and compile the kernel. Prints its assumptions; no assertions. The
 * machine may be shared, so it prints the load average and reports best and median of several repetitions.
 *
 * <p>Arguments: {@code [size] [--reps R] [--target NAME] [--config lanes,mr,nv,mc,kc,nc]...} (several configs are
 * compared in one run).
 */
public final class GemmBench {
  private GemmBench() {}

  public static void main(String[] args) throws Throwable {
    int size = 512, reps = 30;
    String target = "host";
    List<GemmConfig> configs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--reps" -> reps = Integer.parseInt(args[++i]);
        case "--target" -> target = args[++i];
        case "--config" -> {
          int[] v = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
          configs.add(new GemmConfig(v[0], v[1], v[2], v[3], v[4], v[5]));
        }
        default -> size = Integer.parseInt(args[i]);
      }
    }
    TargetSpec spec = TargetSpec.parse(target);
    if (configs.isEmpty()) configs.add(GemmConfig.forLanes(spec.floatLanes()));
    printMachine(spec);
    double peak = measurePeak(spec);
    List<double[]> results = new ArrayList<>();
    for (GemmConfig cfg : configs) {
      compileTime(spec, cfg, 5);
      results.add(gemm(spec, cfg, size, reps));
      peak = Math.max(peak, measurePeak(spec));
    }
    // Contention only lowers a measurement, so the best FMA rate seen in the whole run is the peak estimate.
    System.out.printf("peak used (best FMA rate of the run): %.1f GFLOP/s%n", peak);
    for (int i = 0; i < configs.size(); i++) {
      double[] r = results.get(i);
      System.out.printf("RESULT gemm %dx%dx%d %s: best %.1f GFLOP/s = %.0f%% of peak, median %.1f = %.0f%%%n",
          size, size, size, configs.get(i), r[0], 100 * r[0] / peak, r[1], 100 * r[1] / peak);
    }
  }

  private static void printMachine(TargetSpec spec) throws IOException {
    HostCpu cpu = HostCpu.detect();
    System.out.printf("cpu: %s; LLVM target: %s cpu=%s, avx512f=%s, float lanes=%d%n", cpu.modelName(),
        spec.triple(), spec.cpu(), spec.features().contains("+avx512f"), spec.floatLanes());
    System.out.printf("load average (1/5/15 min, running/total): %s", Files.readString(Path.of("/proc/loadavg")));
    System.out.printf("cpu MHz reported by the kernel: %.0f (under KVM often the TSC rate, not the boost clock)%n",
        HostCpu.reportedMhz());
  }

  /** Best-of-8 FMA throughput in GFLOP/s; also prints the clock it implies at one 16-lane FMA per cycle. */
  private static double measurePeak(TargetSpec spec) throws Throwable {
    int lanes = spec.floatLanes();
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule m = new LlvmModule("fma_peak")) {
      FmaPeakKernel.emit(m, "fma_peak", lanes);
      jit.add(m);
      MethodHandle h = jit.function("fma_peak",
          FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_FLOAT));
      long n = 20_000_000;
      double best = 0;
      for (int r = 0; r < 8; r++) {
        long t0 = System.nanoTime();
        float sink = (float) h.invokeExact(n, 1.0f);
        long dt = System.nanoTime() - t0;
        if (Float.isNaN(sink)) System.out.println("nan");
        best = Math.max(best, FmaPeakKernel.flops(n, lanes) / dt);
      }
      System.out.printf("measured FMA peak, one core: %.1f GFLOP/s (%d chains of %d-lane FMA, no memory)%n",
          best, FmaPeakKernel.CHAINS, lanes);
      // Zen 4 splits a 512-bit FMA over its two 256-bit FMA pipes: 1 zmm FMA/cycle = 16 lanes * 2 flops per cycle.
      System.out.printf("  implied clock if 1 x %d-lane FMA issues per cycle (2 flops each): %.2f GHz;"
          + " if 2 per cycle: %.2f GHz%n", lanes, best / (lanes * 2), best / (lanes * 4));
      return best;
    }
  }

  private static void compileTime(TargetSpec spec, GemmConfig cfg, int reps) {
    long[] build = new long[reps], total = new long[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      try (LlvmJit jit = new LlvmJit(spec); LlvmModule m = new LlvmModule("gemm")) {
        GemmEmitter.emit(m, "gemm", cfg);
        build[r] = System.nanoTime() - t0;
        jit.add(m); // verify + default<O3>
        jit.lookup("gemm"); // machine code generation happens here
        total[r] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(build);
    Arrays.sort(total);
    System.out.printf("compile %s: IR emission %.1f ms, emit+verify+O3+codegen best %.1f ms, median %.1f ms%n", cfg,
        build[reps / 2] / 1e6, total[0] / 1e6, total[reps / 2] / 1e6);
  }

  /** Returns {best, median} GFLOP/s over {@code reps} timed calls after 5 warm-up calls. */
  private static double[] gemm(TargetSpec spec, GemmConfig cfg, int n, int reps) throws Throwable {
    Random rnd = new Random(1);
    float[] a = new float[n * n], b = new float[n * n];
    for (int i = 0; i < a.length; i++) {
      a[i] = rnd.nextFloat() - 0.5f;
      b[i] = rnd.nextFloat() - 0.5f;
    }
    try (LlvmJit jit = new LlvmJit(spec); LlvmModule m = new LlvmModule("gemm"); Arena arena = Arena.ofConfined()) {
      GemmEmitter.emit(m, "gemm", cfg);
      jit.add(m);
      MethodHandle h = jit.function("gemm", GemmEmitter.DESCRIPTOR);
      MemorySegment sa = NativeBuffers.copyOf(arena, a), sb = NativeBuffers.copyOf(arena, b);
      MemorySegment sc = NativeBuffers.floats(arena, (long) n * n);
      MemorySegment work = NativeBuffers.scratch(arena, cfg.workspaceBytes());
      long nn = n;
      for (int w = 0; w < 5; w++) h.invokeExact(sa, sb, sc, nn, nn, nn, nn, nn, nn, work);
      double[] gflops = new double[reps];
      for (int r = 0; r < reps; r++) {
        long t0 = System.nanoTime();
        h.invokeExact(sa, sb, sc, nn, nn, nn, nn, nn, nn, work);
        gflops[r] = 2.0 * n * n * n / (System.nanoTime() - t0);
      }
      Arrays.sort(gflops);
      double best = gflops[reps - 1], median = gflops[reps / 2];
      System.out.printf("gemm %dx%dx%d %s: best %.1f GFLOP/s, median %.1f, %d reps%n", n, n, n, cfg, best, median,
          reps);
      return new double[] {best, median};
    }
  }
}
