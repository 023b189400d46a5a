package dev.kiln.cli;

import dev.kiln.ir.DType;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.KilnModel;
import dev.kiln.runtime.exec.TensorSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code kiln bench MODEL_OR_ARTIFACT}: loads an artifact (or compiles a model in memory, as {@code kiln compile}
 * would), then times calls through {@link KilnModel} on {@code --threads} threads at once. Prints the load time, the
 * first call after loading (cold), then median, p90 and min latency and throughput of the measured calls.
 */
@Command(name = "bench", description = "Time a .kiln artifact (or a model compiled on the fly) through the embedding API.")
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL_OR_ARTIFACT", description = "A .kiln artifact, or a .kir/.pt/.py model to compile first.")
  Path file;

  @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "interp", description = "For models: the backend to compile for (default: ${DEFAULT-VALUE}).")
  String backend;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Threads calling the model at once (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "Size of every symbolic dim in generated inputs (default: ${DEFAULT-VALUE}).")
  long batch;

  @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "Unmeasured calls per thread first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--iterations", paramLabel = "N", defaultValue = "100", description = "Measured calls per thread (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(names = {"-i", "--input"}, paramLabel = "X.npy", description = "Inputs in signature order instead of generated ones.")
  List<Path> inputs = new ArrayList<>();

  @Option(names = "--kernel-threads", paramLabel = "N",
      description = "Threads each call's kernels run on (jvm and llvm backends, .kiln files too; default: the cores).")
  Integer kernelThreads;

  @Mixin ModelLoader.Options load = new ModelLoader.Options();

  @Mixin OptLevelOptions optimize = new OptLevelOptions();

  @Override public Integer call() throws Exception {
    if (kernelThreads != null) {
      if (kernelThreads < 1) throw new CliException("--kernel-threads must be at least 1, got " + kernelThreads);
      dev.kiln.runtime.kernels.Threads.setThreads(kernelThreads);
    }
    if (threads < 1 || iterations < 1 || warmup < 0 || batch < 1)
      throw new CliException("--threads, --iterations and --batch must be at least 1, --warmup at least 0");
    // --input files are read before loading, and generated inputs are made with plain loops: whatever runs between
    // loading and the first call (file reading, the first use of a stream, a lambda or a class, which loads and links
    // classes) pushes the model's code and weights out of the CPU caches and would be counted against the first call.
    Tensor[] given = inputs.isEmpty() ? null : read(inputs);
    // The generator's classes too: a first Gaussian draw loads and initializes them (measured 0.5-4.5 ms at the
    // first draw, and a first call 6-18x its median after it, against 2-3x with this).
    new Random(0).nextGaussian();
    long t0 = System.nanoTime();
    KilnModel model = ArtifactRunner.handles(file) ? KilnModel.load(file) : compileInMemory();
    long loadNanos = System.nanoTime() - t0;
    Tensor[] args = given != null ? given : generated(model);
    long t1 = System.nanoTime();
    try {
      model.run(args);
    } catch (IllegalArgumentException bad) {
      throw new CliException(file + ": " + bad.getMessage());
    }
    long firstNanos = System.nanoTime() - t1;

    long[] latencies = new long[threads * iterations];
    long wall = measure(model, args, latencies);
    BenchStats s = BenchStats.of(latencies);
    PrintWriter out = spec.commandLine().getOut();
    out.println("model: " + file + " (backend " + model.manifest().backend() + ") " + model.signature());
    out.println("inputs: " + String.join(", ", java.util.Arrays.stream(args).map(t -> t.dtype() + Tensor.dims(t.shape())).toList()));
    out.println("load: " + BenchStats.millis(loadNanos) + ", first call after loading: " + BenchStats.millis(firstNanos));
    out.println("latency: median " + BenchStats.millis(s.medianNanos()) + ", p90 " + BenchStats.millis(s.p90Nanos())
        + ", min " + BenchStats.millis(s.minNanos()) + " (" + s.count() + " calls on " + threads + " thread" + (threads == 1 ? "" : "s")
        + ", " + warmup + " warm-up calls each)");
    double perSecond = s.count() / (wall / 1e9);
    out.println(String.format(Locale.ROOT, "throughput: %.1f calls/s, %.1f samples/s at batch %d", perSecond, perSecond * batch, batch));
    out.flush();
    return 0;
  }

  /** Runs warm-up then measured calls on every thread at once; returns the wall time of the measured part. */
  private long measure(KilnModel model, Tensor[] args, long[] latencies) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads + 1);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int base = t * iterations;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < warmup; i++) model.run(args);
          start.await();
          for (int i = 0; i < iterations; i++) {
            long a = System.nanoTime();
            model.run(args);
            latencies[base + i] = System.nanoTime() - a;
          }
          return null;
        }));
      }
      start.await(); // every thread has warmed up: the clock starts now
      long t0 = System.nanoTime();
      for (Future<?> f : fs) f.get();
      return System.nanoTime() - t0;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Compiles to an artifact in memory and loads it, so the measured path is the one a deployment takes. */
  private KilnModel compileInMemory() throws IOException {
    CompileCommand.Compiled c = CompileCommand.compile(file, load, inputs, optimize, backend);
    return KilnModel.load(new ByteArrayInputStream(c.toBytes()), file + " (compiled in memory)");
  }

  /** The --input files, in order. */
  private static Tensor[] read(List<Path> files) {
    Tensor[] out = new Tensor[files.size()];
    for (int i = 0; i < out.length; i++) out[i] = Npy.read(files.get(i));
    return out;
  }

  /** Seeded random values with every symbolic dim set to --batch. */
  private Tensor[] generated(KilnModel model) {
    List<TensorSpec> specs = model.signature().inputs();
    Random r = new Random(42);
    Tensor[] out = new Tensor[specs.size()];
    for (int i = 0; i < out.length; i++) {
      TensorSpec s = specs.get(i);
      if (!s.isTensor() || s.dims() == null)
        throw new CliException(file + ": input \"" + s.name() + "\" is " + s.type().text() + "; give its value with --input");
      List<String> dims = s.dims();
      long[] shape = new long[dims.size()];
      for (int k = 0; k < shape.length; k++) shape[k] = isNumber(dims.get(k)) ? Long.parseLong(dims.get(k)) : batch;
      double[] v = new double[(int) Tensor.numel(shape)];
      DType d = s.dtype();
      for (int k = 0; k < v.length; k++) v[k] = d.isFloat() ? r.nextGaussian() : d == DType.BOOL ? r.nextInt(2) : r.nextInt(10);
      out[i] = Tensor.ofDoubles(d, v, shape);
    }
    return out;
  }

  private static boolean isNumber(String dim) {
    if (dim.isEmpty()) return false;
    for (int i = 0; i < dim.length(); i++) if (!Character.isDigit(dim.charAt(i))) return false;
    return true;
  }
}
