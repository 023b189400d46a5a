package dev.kiln.bench;

import dev.kiln.codegen.jvm.JvmBackend;
import dev.kiln.codegen.jvm.JvmOptions;
import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * int8 against f32 in the JVM backend on a 3-layer MLP (D units, relus, random weights): the float graph after
 * {@code fuse}, the same graph after {@code quantize=dynamic,fuse} (q.linear_dynamic on the int8 primitives), and that
 * one again with {@code -Dkiln.jvm.int8=false} (q ops on the interpreter), called alternately, 40 rounds; medians per
 * call. Results in docs/quantization.md ("Kernels").
 *
 * <p>Usage: {@code java --add-modules jdk.incubator.vector -cp <cli jar and its lib/*> dev.kiln.bench.QuantMlpBench
 * D batches [kernelThreads] [llvm]}, e.g. {@code 256 1,8,64 1}; {@code llvm} compiles all three with the LLVM JIT
 * instead (int8 on the native {@code kiln_q8_gemm}, docs/llvm.md "Int8 kernels").
 */
public final class QuantMlpBench {
  private QuantMlpBench() {}

  public static void main(String[] a) {
    int d = Integer.parseInt(a[0]);
    if (a.length > 2) dev.kiln.runtime.kernels.Threads.setThreads(Integer.parseInt(a[2]));
    boolean llvm = a.length > 3 && a[3].equals("llvm");
    for (String bs : a[1].split(",")) {
      int b = Integer.parseInt(bs);
      String ir = """
          graph @mlp(%x: f32[B,D]) -> (f32[B,D]) {
            %w1 = const {name="w1"} : f32[D,D]
            %b1 = const {name="b1"} : f32[D]
            %w2 = const {name="w2"} : f32[D,D]
            %b2 = const {name="b2"} : f32[D]
            %w3 = const {name="w3"} : f32[D,D]
            %b3 = const {name="b3"} : f32[D]
            %0 = nn.linear(%x, %w1, %b1) : f32[B,D]
            %1 = nn.relu(%0) : f32[B,D]
            %2 = nn.linear(%1, %w2, %b2) : f32[B,D]
            %3 = nn.relu(%2) : f32[B,D]
            %4 = nn.linear(%3, %w3, %b3) : f32[B,D]
            return(%4)
          }""".replace("B", "" + b).replace("D", "" + d);
      Random r = new Random(1);
      Map<String, Tensor> w = new HashMap<>();
      for (String n : List.of("w1", "w2", "w3")) w.put(n, rnd(r, 1.0 / Math.sqrt(d), d, d));
      for (String n : List.of("b1", "b2", "b3")) w.put(n, rnd(r, 0.1, d));
      Program f = PassManager.parse("fuse").run(Program.of(IrParser.parse(ir, "mlp"), w));
      Program q = PassManager.parse("quantize=dynamic,fuse").run(Program.of(IrParser.parse(ir, "mlp"), w));
      CompiledModel mf, mq, mr;
      if (llvm) { // the LLVM JIT on one thread; int8 on kiln_q8_gemm, and with -Dkiln.llvm.int8=false on the interpreter
        mf = LlvmBackend.compile(f.graph(), f.weights(), LlvmOptions.defaults()).instantiate(f.weights(), 1);
        mq = LlvmBackend.compile(q.graph(), q.weights(), LlvmOptions.defaults()).instantiate(q.weights(), 1);
        System.setProperty("kiln.llvm.int8", "false");
        mr = LlvmBackend.compile(q.graph(), q.weights(), LlvmOptions.defaults()).instantiate(q.weights(), 1);
        System.clearProperty("kiln.llvm.int8");
      } else {
        mf = JvmBackend.compile(f.graph(), f.weights(), new JvmOptions("dev.kiln.gen.F", false)).instantiate(f.weights());
        mq = JvmBackend.compile(q.graph(), q.weights(), new JvmOptions("dev.kiln.gen.Q", false)).instantiate(q.weights());
        System.setProperty("kiln.jvm.int8", "false");
        mr = JvmBackend.compile(q.graph(), q.weights(), new JvmOptions("dev.kiln.gen.R", false)).instantiate(q.weights());
        System.clearProperty("kiln.jvm.int8");
      }
      List<Object> in = List.of(rnd(r, 1, b, d));
      int calls = Math.max(5, 20000 / (b * d / 64));
      List<Double> tf = new ArrayList<>(), tq = new ArrayList<>(), tr = new ArrayList<>();
      for (int round = 0; round < 40; round++) {
        tf.add(time(mf, in, calls)); tq.add(time(mq, in, calls)); if (round % 4 == 0) tr.add(time(mr, in, Math.max(1, calls / 10)));
      }
      double f32 = med(tf), i8 = med(tq), ref = med(tr);
      System.out.printf((llvm ? "llvm " : "jvm ") + "D=%d batch=%d: f32 %.4f ms, int8 %.4f ms (int8/f32 %.2f), q ops on interpreter %.4f ms%n", d, b, f32, i8, i8 / f32, ref);
    }
  }
  private static double time(CompiledModel m, List<Object> in, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) m.run(in);
    return (System.nanoTime() - t) / 1e6 / n;
  }
  private static double med(List<Double> l) { List<Double> s = new ArrayList<>(l); Collections.sort(s); return s.get(s.size() / 2); }
  private static Tensor rnd(Random r, double sd, long... shape) {
    float[] v = new float[(int) Tensor.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * sd);
    return Tensor.fromFloats(v, shape);
  }
}
