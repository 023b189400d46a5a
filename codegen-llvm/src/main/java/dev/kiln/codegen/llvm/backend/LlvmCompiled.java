package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import java.util.List;
import java.util.Map;

/**
 * A model JIT-compiled by {@link LlvmBackend}: the native code (owned by an ORC LLJIT), the order of native
 * segments, JVM fallback kernels and reference calls, and what went where. Call {@link #instantiate} for runnable
 * models (each with its own off-heap buffers); {@link #close()} frees the machine code, after which no instance may
 * run. Thread-safe to instantiate from several threads.
 */
public final class LlvmCompiled implements AutoCloseable {
  private final KernelProgram program;
  private final LlvmJit jit;
  private final List<String> storages;
  private final long workspaceBytes;
  private final List<Step> init, run;
  private final Map<String, Integer> nativeKinds, fallbackKinds;
  private final double emitMillis, jitMillis;
  private final TargetSpec target;
  private final String llvmIr;

  LlvmCompiled(KernelProgram program, LlvmJit jit, List<String> storages, long workspaceBytes, List<Step> init,
      List<Step> run, Map<String, Integer> nativeKinds, Map<String, Integer> fallbackKinds, double emitMillis,
      double jitMillis, TargetSpec target, String llvmIr) {
    this.program = program;
    this.jit = jit;
    this.storages = List.copyOf(storages);
    this.workspaceBytes = workspaceBytes;
    this.init = List.copyOf(init);
    this.run = List.copyOf(run);
    this.nativeKinds = Map.copyOf(nativeKinds);
    this.fallbackKinds = Map.copyOf(fallbackKinds);
    this.emitMillis = emitMillis;
    this.jitMillis = jitMillis;
    this.target = target;
    this.llvmIr = llvmIr;
  }

  /**
   * A runnable model: copies each weight off-heap once (64-byte aligned), runs the init kernels, builds the
   * reference interpreters. The instance keeps per-call buffers, so {@code isThreadSafe()} is false (KilnModel pools
   * instances) and {@code run} is synchronized for callers that share one anyway.
   *
   * @param weights by name, not null; must hold every weight the program reads
   */
  public CompiledModel instantiate(Map<String, Tensor> weights) {
    return new NativeModel(this, weights);
  }

  KernelProgram program() { return program; }

  List<String> storages() { return storages; }

  long workspaceBytes() { return workspaceBytes; }

  List<Step> initSteps() { return init; }

  List<Step> runSteps() { return run; }

  /** Kernel kinds compiled natively, with counts (e.g. {@code fused conv2d+epilogue=12}). */
  public Map<String, Integer> nativeKinds() { return nativeKinds; }

  /** Kernel kinds not compiled natively: {@code reference <op>} (interpreter) or {@code jvm <op> (why)}. */
  public Map<String, Integer> fallbackKinds() { return fallbackKinds; }

  /** Milliseconds from lowering to a verified-ready module (lowering + LLVM IR emission). */
  public double emitMillis() { return emitMillis; }

  /** Milliseconds of verification, O3 and machine-code generation in the JIT. */
  public double jitMillis() { return jitMillis; }

  public TargetSpec target() { return target; }

  /** The LLVM IR before optimisation, or null unless {@link LlvmOptions#keepIr()}. */
  public String llvmIr() { return llvmIr; }

  /** One line: native and fallback kinds, segment count and compile times. */
  public String report() {
    long segs = run.stream().filter(s -> s instanceof Step.Native).count();
    return "native " + new java.util.TreeMap<>(nativeKinds) + "; fallback " + new java.util.TreeMap<>(fallbackKinds) + "; "
        + segs + " native segment(s); compile " + String.format("%.0f ms (emit %.0f + jit %.0f)", emitMillis + jitMillis, emitMillis, jitMillis);
  }

  @Override
  public void close() { jit.close(); }
}
