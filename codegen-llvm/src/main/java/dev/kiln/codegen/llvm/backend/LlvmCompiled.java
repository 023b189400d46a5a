package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.exec.CompiledModel;
import dev.kiln.runtime.nativelib.NativePlan;
import dev.kiln.runtime.nativelib.NativeProgram;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model JIT-compiled by {@link LlvmBackend}: the native code (owned by an ORC LLJIT) linked to its
 * {@link NativePlan}, and what went where. Call {@link #instantiate} for runnable models (each with its own off-heap
 * buffers, run by the runtime's {@code NativeExecutor} exactly as an AOT artifact is); {@link #close()} frees the
 * machine code, after which no instance may run. Thread-safe to instantiate from several threads.
 */
public final class LlvmCompiled implements AutoCloseable {
  private final NativeProgram code;
  private final LlvmJit jit;
  private final Map<String, Integer> nativeKinds, fallbackKinds;
  private final double emitMillis, jitMillis;
  private final TargetSpec target;
  private final String llvmIr;

  LlvmCompiled(NativeProgram code, LlvmJit jit, Map<String, Integer> nativeKinds, Map<String, Integer> fallbackKinds,
      double emitMillis, double jitMillis, TargetSpec target, String llvmIr) {
    this.code = code;
    this.jit = jit;
    this.nativeKinds = Map.copyOf(nativeKinds);
    this.fallbackKinds = Map.copyOf(fallbackKinds);
    this.emitMillis = emitMillis;
    this.jitMillis = jitMillis;
    this.target = target;
    this.llvmIr = llvmIr;
  }

  /**
   * A runnable model: copies each weight off-heap once (64-byte aligned), runs the init steps, builds the reference
   * interpreters. The instance keeps per-call buffers, so {@code isThreadSafe()} is false (KilnModel pools
   * instances) and {@code run} is synchronized for callers that share one anyway.
   *
   * @param weights by name, not null; must hold every weight the program reads
   */
  public CompiledModel instantiate(Map<String, Tensor> weights) {
    return code.instantiate(weights);
  }

  /** As {@link #instantiate(Map)} with {@code threads} threads per run (0: the runtime's {@code Threads.threads()}). */
  public CompiledModel instantiate(Map<String, Tensor> weights, int threads) {
    return code.instantiate(weights, threads);
  }

  /**
   * Buffers, pointer table and steps: what an AOT artifact stores as native/plan.json; a {@code batch} other than 1
   * means the model runs the batch-1 plan once per sample ({@link LlvmBatchSplit}).
   */
  public NativePlan plan() { return code.plan(); }

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

  /** One line: native and fallback kinds, segment count, the batch split if any, and compile times. */
  public String report() {
    long segs = plan().run().stream().filter(s -> s instanceof NativePlan.Step.Native).count();
    long batch = plan().batch();
    return "native " + new TreeMap<>(nativeKinds) + "; fallback " + new TreeMap<>(fallbackKinds) + "; "
        + segs + " native segment(s); " + (batch == 1 ? "" : "batch split (" + (batch == 0 ? "N" : batch) + " samples per call, each at batch 1); ")
        + "compile " + String.format("%.0f ms (emit %.0f + jit %.0f)", emitMillis + jitMillis, emitMillis, jitMillis);
  }

  @Override
  public void close() { jit.close(); }
}
