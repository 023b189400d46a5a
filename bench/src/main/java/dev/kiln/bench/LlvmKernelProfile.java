package dev.kiln.bench;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a model's time goes in the LLVM backend, per lowering policy (Winograd off, F(2x2), F(4x4), auto): compiles
 * the whole program under each policy, then each run kernel alone (same buffers and init kernels, a program of that
 * one kernel) and times it, minus the cost of an empty program (copying the input in and the output out). The
 * policies' programs are called in turn, round after round, so the machine's load hits them alike. Convolutions are labelled with their shape,
 * algorithm and GFLOP/s of direct-convolution work, so the table shows what a faster algorithm would buy.
 *
 * <pre>
 * java ... -cp kiln-bench.jar dev.kiln.bench.LlvmKernelProfile fixtures-large/onnx/resnet18 [batch] [runs] [OFF,F2X2,F4X4,AUTO]
 * </pre>
 */
public final class LlvmKernelProfile {
  private LlvmKernelProfile() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "fixtures-large/onnx/resnet18");
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    List<LoweringOptions.Winograd> modes = new ArrayList<>();
    for (String m : (args.length > 3 ? args[3] : "OFF,AUTO").split(",")) modes.add(LoweringOptions.Winograd.valueOf(m.strip().toUpperCase(Locale.ROOT)));
    Tensor input = Npy.read(dir.resolve("input_b" + batch + ".npy"));
    KilnLoader.Prepared prep = KilnLoader.load(dir.resolve("model.pt"), input.shape(), 2);
    KernelProgram base = KernelLowering.lower(prep.graph(), new LoweringOptions(LoweringOptions.Winograd.OFF));
    System.out.printf(Locale.ROOT, "%s batch %d, load %s, %d run kernels, %d runs per median%n", dir.getFileName(), batch,
        MachineInfo.loadAverage(), base.kernels().size(), runs);
    int nk = base.kernels().size(), nm = modes.size();
    List<KernelProgram> lowered = new ArrayList<>();
    for (var mode : modes) {
      KernelProgram p = KernelLowering.lower(prep.graph(), new LoweringOptions(mode));
      if (p.kernels().size() != nk) throw new IllegalStateException("kernel count differs between lowerings");
      lowered.add(p);
    }
    double[][] ms = new double[nm][nk];
    boolean[][] wino = new boolean[nm][nk];
    double[] sum = new double[nm];
    double[] whole = race(lowered, prep.weights(), input, runs, true);
    double[] empty = race(lowered.stream().map(p -> program(p, List.of())).toList(), prep.weights(), input, runs, false);
    for (int i = 0; i < nk; i++) {
      final int k = i;
      double[] t = race(lowered.stream().map(p -> program(p, List.of(p.kernels().get(k)))).toList(), prep.weights(), input, runs, false);
      for (int mi = 0; mi < nm; mi++) {
        wino[mi][i] = hasConv(base.kernels().get(i)) && !hasConv(lowered.get(mi).kernels().get(i));
        ms[mi][i] = Math.max(0, t[mi] - empty[mi]);
        sum[mi] += ms[mi][i];
      }
    }
    for (int mi = 0; mi < nm; mi++)
      System.out.printf(Locale.ROOT, "%s: whole model median %.3f ms; sum of kernels alone %.3f ms; empty program %.3f ms%n",
          modes.get(mi), whole[mi], sum[mi], empty[mi]);
    StringBuilder head = new StringBuilder("| # | kernel | GFLOP (direct) |"), rule = new StringBuilder("|---:|---|---:|");
    for (var m : modes) { head.append(" ").append(m).append(" ms | % |"); rule.append("---:|---:|"); }
    System.out.println(head);
    System.out.println(rule);
    Integer[] order = new Integer[nk];
    for (int i = 0; i < nk; i++) order[i] = i;
    Arrays.sort(order, (x, y) -> Double.compare(ms[0][y], ms[0][x]));
    for (int i : order) {
      Kernel k = base.kernels().get(i);
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %d | %s | %s |", i, label(k),
          convFlops(k) > 0 ? String.format(Locale.ROOT, "%.3f", convFlops(k) / 1e9) : ""));
      for (int mi = 0; mi < modes.size(); mi++)
        row.append(String.format(Locale.ROOT, " %.3f%s | %.1f |", ms[mi][i], wino[mi][i] ? " (wino)" : "", 100 * ms[mi][i] / sum[mi]));
      System.out.println(row);
    }
    StringBuilder tot = new StringBuilder("| | whole model (sum of kernels) | |");
    for (int mi = 0; mi < modes.size(); mi++) tot.append(String.format(Locale.ROOT, " %.3f (%.3f) | |", whole[mi], sum[mi]));
    System.out.println(tot);
    System.out.println("load at the end " + MachineInfo.loadAverage());
  }

  private static boolean hasConv(Kernel k) {
    return k.body().stream().anyMatch(s -> s instanceof Stmt.Conv);
  }

  /** The program with the same buffers and init kernels but only {@code kernels} in a run. */
  static KernelProgram program(KernelProgram p, List<Kernel> kernels) {
    return new KernelProgram(p.name() + "_k", p.buffers(), p.inputs(), p.outputs(), p.init(), kernels, p.references());
  }

  /**
   * Median milliseconds per program of {@code runs} rounds, each round calling every program once in turn (so load
   * changes on the shared machine hit all of them alike), after a few warm-up rounds.
   */
  static double[] race(List<KernelProgram> programs, Map<String, Tensor> weights, Tensor input, int runs, boolean say) {
    List<LlvmCompiled> compiled = new ArrayList<>();
    try {
      List<CompiledModel> models = new ArrayList<>();
      for (KernelProgram p : programs) {
        LlvmCompiled c = LlvmBackend.compile(p, weights, LlvmOptions.defaults());
        compiled.add(c);
        if (say) System.out.println("compiled: " + c.report());
        models.add(c.instantiate(weights));
      }
      List<Object> in = List.of(input);
      long[][] t = new long[models.size()][runs];
      for (int r = -3; r < runs; r++)
        for (int i = 0; i < models.size(); i++) {
          long t0 = System.nanoTime();
          models.get(i).run(in);
          if (r >= 0) t[i][r] = System.nanoTime() - t0;
        }
      double[] out = new double[models.size()];
      for (int i = 0; i < out.length; i++) {
        Arrays.sort(t[i]);
        out[i] = t[i][runs / 2] / 1e6;
      }
      return out;
    } finally {
      for (LlvmCompiled c : compiled) c.close();
    }
  }

  private static String label(Kernel k) {
    for (Stmt s : k.body())
      if (s instanceof Stmt.Conv c) {
        int[] q = c.params();
        return String.format(Locale.ROOT, "conv %dx%d/s%d %dx%dx%d->%d%s%s", q[5], q[6], q[7], q[2], q[3], q[1], q[4],
            q[13] > 1 ? " g" + q[13] : "", c.nhwc() ? " nhwc" : "");
      }
    String o = k.origin() == null ? k.name() : k.origin();
    int eq = o.indexOf("= ");
    o = eq >= 0 ? o.substring(eq + 2) : o;
    return (o.startsWith("fused") ? "fused" + (o.contains("kind=\"") ? ":" + o.substring(o.indexOf("kind=\"") + 6, o.indexOf('"', o.indexOf("kind=\"") + 6)) : "")
        : o.split("[ ({]")[0]) + " " + k.name();
  }

  /** 2 * n * oc * oh * ow * (c / groups) * kh * kw of the kernel's first convolution, or 0. */
  private static double convFlops(Kernel k) {
    for (Stmt s : k.body())
      if (s instanceof Stmt.Conv c) {
        int[] q = c.params();
        return 2.0 * q[0] * q[4] * q[14] * q[15] * (q[1] / q[13]) * q[5] * q[6];
      }
    return 0;
  }
}
