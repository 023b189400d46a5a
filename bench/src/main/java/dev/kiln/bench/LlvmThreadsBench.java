package dev.kiln.bench;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The LLVM backend on 1 thread against N threads: one JIT compile, one instance per thread count, called in turn
 * (t1, tN, t1, ...) so the machine's load hits both alike; prints medians, minima, the ratio of medians and the load
 * average before and after, and checks the outputs are the same bits.
 *
 * <pre>
 * java ... -cp kiln-bench.jar dev.kiln.bench.LlvmThreadsBench fixtures-large/onnx/resnet18 [batch] [runs] [threads]
 * </pre>
 */
public final class LlvmThreadsBench {
  private LlvmThreadsBench() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "fixtures-large/onnx/resnet18");
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    Tensor input = Npy.read(dir.resolve("input_b" + batch + ".npy"));
    KilnLoader.Prepared prep = KilnLoader.load(dir.resolve("model.pt"), input.shape(), 2);
    String loadBefore = MachineInfo.loadAverage();
    try (LlvmCompiled c = LlvmBackend.compile(prep.graph(), prep.weights(), LlvmOptions.defaults())) {
      CompiledModel one = c.instantiate(prep.weights(), 1), many = c.instantiate(prep.weights(), threads);
      List<Object> in = List.of(input);
      Tensor a = (Tensor) one.run(in).getFirst(), b = (Tensor) many.run(in).getFirst();
      boolean same = Arrays.equals(a.toDoubleArray(), b.toDoubleArray());
      for (int i = 0; i < 3; i++) { one.run(in); many.run(in); }
      double[] t1 = new double[runs], tn = new double[runs];
      for (int r = 0; r < runs; r++) {
        long s = System.nanoTime();
        one.run(in);
        long m = System.nanoTime();
        many.run(in);
        long e = System.nanoTime();
        t1[r] = (m - s) / 1e6;
        tn[r] = (e - m) / 1e6;
      }
      Arrays.sort(t1);
      Arrays.sort(tn);
      System.out.printf(Locale.ROOT, "%s batch %d, %d runs each, load %s -> %s, compile %.0f ms, outputs %s%n", dir.getFileName(), batch,
          runs, loadBefore, MachineInfo.loadAverage(), c.emitMillis() + c.jitMillis(), same ? "bit-identical" : "DIFFER");
      System.out.printf(Locale.ROOT, "  t1 median %.2f ms (min %.2f), t%d median %.2f ms (min %.2f), speed-up %.2fx (min %.2fx)%n",
          t1[runs / 2], t1[0], threads, tn[runs / 2], tn[0], t1[runs / 2] / tn[runs / 2], t1[0] / tn[0]);
    }
  }
}
