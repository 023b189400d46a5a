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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each int8 convolution of one static bench model alone (LLVM backend, 1 thread): per {@code kiln_q8_conv} step of the
 * int8 program, its shape (input, output, kernel, stride), the median time of the step run by itself (as
 * {@link QuantStepProfile} does, the executor's {@code execute} with that one step), and multiply-adds per ns; then
 * the total over the convolutions. Shows which layer shapes lose most.
 *
 * <pre>java ... dev.kiln.bench.QuantConvProfile resnet18 [runs=200] [kiln.llvm.int8.chanPanels=false ...]</pre>
 *
 * With properties after the run count, a second program B is compiled and instantiated with them set and each
 * convolution of A and of B is timed in turn in the same loop (an A/B on a loaded machine); the
 * {@code -Dkiln.llvm.*} switches given to the JVM apply to both.
 */
public final class QuantConvProfile {
  private QuantConvProfile() {}

  private static final Pattern CONV = Pattern.compile("= (q\\.conv2d\\w*)\\([^)]*\\) \\{([^}]*)\\} : \\w+\\[([0-9,]+)\\]");
  private static final Pattern PARAM = Pattern.compile("\\(%[\\w.]+: \\w+\\[([0-9,]+)\\]");
  private static final Pattern WEIGHT = Pattern.compile("const \\{name=\"[^\"]*\"\\} : qi8\\[([0-9,]+)\\]");

  public static void main(String[] args) throws Exception {
    String name = args.length > 0 ? args[0] : "resnet18";
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    Map<String, String> ab = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++)
      if (args[i].contains("=")) ab.put(args[i].substring(0, args[i].indexOf('=')), args[i].substring(args[i].indexOf('=') + 1));
    KilnThreads.set(1);
    QuantModel m = QuantModel.of(Path.of("fixtures-large/quant/bench"), name);
    Tensor x = QuantSideBySide.input(m, 1);
    QuantModel.Programs p = m.prepare(x.shape());
    System.out.printf(Locale.ROOT, "%s int8 convolutions, load %s%s%n", name, MachineInfo.loadAverage(),
        ab.isEmpty() ? "" : "; B = " + ab + ", A and B alternate per step");
    List<Object> in = List.of(x);
    Side a = Side.of(p, Map.of(), in), b = ab.isEmpty() ? null : Side.of(p, ab, in);
    try (a; b) {
      List<Integer> convs = new ArrayList<>();
      for (int s = 0; s < a.steps.size(); s++)
        if (a.steps.get(s) instanceof NativePlan.Step.Reference r && r.int8() != null && r.int8().contains("conv")) convs.add(s);
      long[][] ta = new long[convs.size()][runs], tb = new long[convs.size()][runs];
      for (int i = 0; i < runs; i++)
        for (int c = 0; c < convs.size(); c++) {
          ta[c][i] = a.time(convs.get(c));
          if (b != null) tb[c][i] = b.time(convs.get(c));
        }
      double total = 0, totalB = 0, macs = 0;
      for (int c = 0; c < convs.size(); c++) {
        var r = (NativePlan.Step.Reference) a.steps.get(convs.get(c));
        String text = a.c.plan().program().references().get(r.call().ref());
        Matcher cm = CONV.matcher(text), pm = PARAM.matcher(text), wm = WEIGHT.matcher(text);
        if (!cm.find() || !pm.find() || !wm.find()) continue;
        long[] out = dims(cm.group(3)), inp = dims(pm.group(1)), w = dims(wm.group(1));
        double mac = (double) out[0] * out[1] * out[2] * out[3] * w[1] * w[2] * w[3];
        double ns = median(ta[c]), nsB = b == null ? 0 : median(tb[c]);
        String stride = cm.group(2).replaceAll(".*stride=\\[(\\d+),.*", "$1");
        System.out.printf(Locale.ROOT, "  conv %2d  %-14s in %-14s out %-15s k %dx%d s%s  K %5d  %8.1f us  %6.1f MAC/ns%s%n", c,
            cm.group(1), Arrays.toString(inp).replace(" ", ""), Arrays.toString(out).replace(" ", ""), w[2], w[3], stride,
            w[1] * w[2] * w[3], ns / 1e3, mac / ns, b == null ? "" : String.format(Locale.ROOT, "   B %8.1f us  B/A %.3f", nsB / 1e3, nsB / ns));
        total += ns;
        totalB += nsB;
        macs += mac;
      }
      System.out.printf(Locale.ROOT, "  %d convolutions: %.1f us, %.2f GMAC, %.1f MAC/ns%s%n", convs.size(), total / 1e3, macs / 1e9,
          macs / total, b == null ? "" : String.format(Locale.ROOT, "; B %.1f us (%.1f MAC/ns), B/A %.3f", totalB / 1e3, macs / totalB, totalB / total));
    }
  }

  /** One compiled int8 program (compiled and instantiated with {@code props} set) and its plan's steps. */
  private record Side(LlvmCompiled c, CompiledModel model, List<NativePlan.Step> steps, Method exec) implements AutoCloseable {
    static Side of(QuantModel.Programs p, Map<String, String> props, List<Object> in) throws Exception {
      Map<String, String> old = new LinkedHashMap<>();
      props.forEach((k, v) -> {
        old.put(k, System.getProperty(k));
        System.setProperty(k, v);
      });
      try {
        LlvmCompiled c = LlvmBackend.compile(p.int8().graph(), p.int8().weights(), LlvmOptions.defaults());
        CompiledModel model = c.instantiate(p.int8().weights(), 1);
        for (int i = 0; i < 20; i++) model.run(in);
        Method exec = model.getClass().getDeclaredMethod("execute", List.class);
        exec.setAccessible(true);
        return new Side(c, model, c.plan().run(), exec);
      } finally {
        old.forEach((k, v) -> {
          if (v == null) System.clearProperty(k);
          else System.setProperty(k, v);
        });
      }
    }

    long time(int step) throws Exception {
      long t0 = System.nanoTime();
      exec.invoke(model, List.of(steps.get(step)));
      return System.nanoTime() - t0;
    }

    @Override
    public void close() { c.close(); }
  }

  private static long[] dims(String s) {
    return Arrays.stream(s.split(",")).mapToLong(Long::parseLong).toArray();
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
