package dev.kiln.tests.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.backend.LlvmBackend;
import dev.kiln.codegen.llvm.backend.LlvmCompiled;
import dev.kiln.codegen.llvm.backend.LlvmOptions;
import dev.kiln.ir.Graph;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.kernels.Threads;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Shared by the tests of the LLVM backend's explicit-vector emitters for non-GEMM ops (AttentionLlvmTest,
 * PoolLlvmTest): a graph, its weights and inputs, the interpreter's answer, and a compile under a given value of a
 * {@code kiln.llvm.*} switch (read at each compile) and thread count.
 */
record FastOpsCase(String name, Graph graph, Map<String, Tensor> weights, List<Object> inputs, Tensor want, String passes) {
  static FastOpsCase of(String name, String text, Map<String, Tensor> weights, List<Object> inputs, String passes) {
    Graph g = IrParser.parse(text, name);
    Tensor want = (Tensor) new Interpreter(g, weights).run(inputs).get(0);
    return new FastOpsCase(name, g, weights, inputs, want, passes);
  }

  KernelProgram program() {
    Graph opt = passes.isEmpty() ? graph : PassManager.parse(passes).run(Program.of(graph, weights)).graph();
    return KernelLowering.lower(opt, LoweringOptions.NATIVE);
  }

  /** The result and unoptimised IR of a compile with {@code -Dkiln.llvm.<property>=<value>} on {@code threads}. */
  record Run(Tensor out, String ir) {}

  Run run(String property, String value, int threads) { return run(property, value, threads, "host"); }

  /** As above for an LLVM target ({@code "host"} or a CPU name such as {@code x86-64-v3}: 8 lanes instead of 16). */
  Run run(String property, String value, int threads, String target) {
    String key = "kiln.llvm." + property, before = System.getProperty(key);
    int t0 = Threads.threads();
    System.setProperty(key, value);
    Threads.setThreads(threads);
    try (LlvmCompiled c = LlvmBackend.compile(program(), weights, new LlvmOptions(target, true))) {
      assertTrue(c.fallbackKinds().isEmpty(), c.report());
      return new Run((Tensor) c.instantiate(weights).run(inputs).get(0), c.llvmIr());
    } finally {
      if (before == null) System.clearProperty(key);
      else System.setProperty(key, before);
      Threads.setThreads(t0);
    }
  }

  /** Asserts {@code got} is within {@code rtol} (relative to the largest |value|) of the interpreter. */
  void assertClose(Tensor got, double rtol, String what) {
    double scale = 1e-6;
    for (double d : want.toDoubleArray()) scale = Math.max(scale, Math.abs(d));
    assertEquals(want.numel(), got.numel());
    assertTrue(got.allClose(want, rtol * scale, rtol), name + " " + what + ": max |diff| " + got.maxAbsDiff(want) + " vs scale " + scale);
  }

  static Tensor gauss(Random r, double std, long... shape) {
    int size = 1;
    for (long d : shape) size *= (int) d;
    float[] a = new float[size];
    for (int i = 0; i < size; i++) a[i] = (float) (r.nextGaussian() * std);
    return Tensor.fromFloats(a, shape);
  }
}
