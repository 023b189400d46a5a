package dev.kiln.bench;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Npy;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * int8 against fp32 on the LLVM backend (issue 8): each bench model of {@code fixtures-large/quant/bench}
 * ({@link QuantModel}: mlp and lstm with quantize=dynamic, resnet18 with quantize=static on its calibration set) is
 * compiled twice by the JIT for the host, fp32 at -O2 and int8 at -O2 with the quantize entry before fuse, both on
 * one kernel thread; optionally a third time with the q ops on the interpreter ({@code -Dkiln.llvm.int8=false}).
 * The instances are called in alternation, one batch of calls each per round; medians per call.
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ...
 * dev.kiln.bench.QuantLlvmBench ROOT MODELS BATCH ROUNDS [interp]}, e.g.
 * {@code fixtures-large/quant/bench mlp,lstm,resnet18 1 30}.
 */
public final class QuantLlvmBench {
  private QuantLlvmBench() {}

  public static void main(String[] a) throws Exception {
    Path root = Path.of(a[0]);
    int batch = Integer.parseInt(a[2]), rounds = Integer.parseInt(a[3]);
    boolean interp = a.length > 4 && a[4].equals("interp");
    System.out.println("load average at start: " + MachineInfo.loadAverage());
    for (String name : a[1].split(",")) {
      QuantModel qm = QuantModel.of(root, name);
      Tensor x = Npy.read(qm.floatDir().resolve("input_b" + batch + ".npy"));
      QuantModel.Programs p = qm.prepare(x.shape());
      List<Object> in = List.of(x);
      try (LlvmCompiled f = compile(p.fp32()); LlvmCompiled q = compile(p.int8())) {
        System.out.println(name + " fp32: " + f.report());
        System.out.println(name + " int8: " + q.report());
        CompiledModel mf = f.instantiate(p.fp32().weights(), 1), mq = q.instantiate(p.int8().weights(), 1);
        CompiledModel mr = null;
        LlvmCompiled r = null;
        if (interp) {
          System.setProperty("kiln.llvm.int8", "false");
          r = compile(p.int8());
          System.clearProperty("kiln.llvm.int8");
          mr = r.instantiate(p.int8().weights(), 1);
        }
        double once = time(mf, in, 3);
        int calls = (int) Math.max(1, Math.min(2000, 20 / Math.max(once, 1e-3)));
        for (int i = 0; i < 3; i++) { time(mf, in, calls); time(mq, in, calls); }
        List<Double> tf = new ArrayList<>(), tq = new ArrayList<>(), tr = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
          tf.add(time(mf, in, calls));
          tq.add(time(mq, in, calls));
          if (mr != null && round % 5 == 0) tr.add(time(mr, in, Math.max(1, calls / 10)));
        }
        double fm = med(tf), qm8 = med(tq);
        System.out.printf("%s batch %d: fp32 %.4f ms, int8 %.4f ms, fp32/int8 speed-up %.2fx (min %.4f / %.4f)%s; load %s%n", name, batch, fm, qm8,
            fm / qm8, Collections.min(tf), Collections.min(tq), mr == null ? "" : String.format(", q ops on the interpreter %.4f ms", med(tr)),
            MachineInfo.loadAverage());
        if (r != null) r.close();
      }
    }
  }

  private static LlvmCompiled compile(Program p) { return LlvmBackend.compile(p.graph(), p.weights(), LlvmOptions.defaults()); }

  private static double time(CompiledModel m, List<Object> in, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) m.run(in);
    return (System.nanoTime() - t) / 1e6 / n;
  }

  private static double med(List<Double> l) {
    List<Double> s = new ArrayList<>(l);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
