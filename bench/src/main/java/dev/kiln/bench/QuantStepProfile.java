package dev.kiln.bench;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.nativelib.NativePlan;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one int8 bench model goes on the LLVM backend, per plan step: the fp32 and int8 programs of
 * {@link QuantModel} (fixtures-large/quant/bench) compiled by the JIT, one instance each on 1 thread, then
 * {@code System.nanoTime} around each run step (the executor's private {@code execute} called by reflection with that
 * one step, in plan order, so every step sees the buffers a run leaves), medians over the runs, summed per kind of
 * step (native segment, int8 routine, reference call). Also the whole run warm (back to back) and after a 32 MB sweep
 * (weights no longer in cache, as when other models run in between, which is what the alternating side-by-side bench
 * measures). The reflective call adds a few tens of ns per step (the "empty" line: an empty step list).
 *
 * <pre>java ... dev.kiln.bench.QuantStepProfile lstm_large [runs=2000] [--steps]</pre>
 *
 * Honours {@code -Dkiln.native.int8Direct=false} and the other executor switches (read per instance).
 */
public final class QuantStepProfile {
  private QuantStepProfile() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: QuantStepProfile MODEL [runs] [--steps]   (MODEL in fixtures-large/quant/bench)");
      System.exit(2);
    }
    String name = args[0];
    int runs = args.length > 1 && !args[1].startsWith("--") ? Integer.parseInt(args[1]) : 2000;
    boolean each = Arrays.asList(args).contains("--steps");
    KilnThreads.set(1);
    QuantModel m = QuantModel.of(Path.of("fixtures-large/quant/bench"), name);
    Tensor x = QuantSideBySide.input(m, 1);
    QuantModel.Programs p = m.prepare(x.shape());
    System.out.printf(Locale.ROOT, "%s, load %s%n", name, MachineInfo.loadAverage());
    for (String which : List.of("fp32", "int8")) {
      var prog = which.equals("fp32") ? p.fp32() : p.int8();
      try (LlvmCompiled c = LlvmBackend.compile(prog.graph(), prog.weights(), LlvmOptions.defaults())) {
        profile(name + " " + which, c, c.instantiate(prog.weights(), 1), List.of(x), runs, each);
      }
    }
  }

  private static void profile(String what, LlvmCompiled c, CompiledModel model, List<Object> in, int runs, boolean each) throws Exception {
    for (int i = 0; i < Math.max(200, runs / 4); i++) model.run(in);
    long[] warm = new long[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      model.run(in);
      warm[i] = System.nanoTime() - t0;
    }
    byte[] sweep = new byte[32 << 20];
    long[] cold = new long[Math.min(runs, 300)];
    for (int i = 0; i < cold.length; i++) {
      for (int j = 0; j < sweep.length; j += 64) sweep[j]++;
      long t0 = System.nanoTime();
      model.run(in);
      cold[i] = System.nanoTime() - t0;
    }
    System.out.printf(Locale.ROOT, "%s: run median %.1f us warm, %.1f us after a 32 MB sweep; %s%n", what, median(warm) / 1e3,
        median(cold) / 1e3, model);
    NativePlan plan = c.plan();
    List<NativePlan.Step> steps = plan.run();
    Method exec = model.getClass().getDeclaredMethod("execute", List.class);
    exec.setAccessible(true);
    report(plan, steps, exec, model, runs, null, each);
    report(plan, steps, exec, model, Math.min(runs, 300), sweep, each);
  }

  /** Per-step medians over {@code runs} runs of the steps one by one; with {@code sweep}, swept before each run. */
  private static void report(NativePlan plan, List<NativePlan.Step> steps, Method exec, CompiledModel model, int runs, byte[] sweep,
      boolean each) throws Exception {
    System.out.println(sweep == null ? "  per step, warm:" : "  per step, each run after a 32 MB sweep:");
    long[][] t = new long[steps.size() + 1][runs];
    for (int i = 0; i < runs; i++) {
      if (sweep != null) for (int j = 0; j < sweep.length; j += 64) sweep[j]++;
      for (int s = 0; s <= steps.size(); s++) {
        List<NativePlan.Step> one = s < steps.size() ? List.of(steps.get(s)) : List.of();
        long t0 = System.nanoTime();
        exec.invoke(model, one);
        t[s][i] = System.nanoTime() - t0;
      }
    }
    Map<String, double[]> byKind = new LinkedHashMap<>();
    double sum = 0;
    for (int s = 0; s <= steps.size(); s++) {
      double med = median(t[s]);
      String kind = s == steps.size() ? "empty (reflection)" : kind(plan, steps.get(s));
      if (s < steps.size()) sum += med;
      double[] k = byKind.computeIfAbsent(kind, key -> new double[2]);
      k[0] += med;
      k[1]++;
      if (each && s < steps.size()) System.out.printf(Locale.ROOT, "    step %3d %-36s %9.0f ns%n", s, kind, med);
    }
    System.out.printf(Locale.ROOT, "    %d steps, sum of step medians %.1f us%n", steps.size(), sum / 1e3);
    byKind.forEach((k, v) -> System.out.printf(Locale.ROOT, "    %-36s x%-3d %9.1f us  (%.0f ns each)%n", k, (int) v[1], v[0] / 1e3, v[0] / v[1]));
  }

  private static String kind(NativePlan plan, NativePlan.Step s) {
    return switch (s) {
      case NativePlan.Step.Native n -> "native segment";
      case NativePlan.Step.Java j -> "jvm kernel";
      case NativePlan.Step.Reference r when r.int8() != null -> "int8 " + r.int8();
      case NativePlan.Step.Reference r -> "reference " + plan.program().references().get(r.call().ref()).lines()
          .filter(l -> l.contains(" = ") && !l.contains(" const ")).findFirst().orElse("?").replaceAll(".* = ", "").replaceAll("[({ ].*", "");
    };
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
