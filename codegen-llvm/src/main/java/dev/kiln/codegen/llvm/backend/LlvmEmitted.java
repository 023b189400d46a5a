package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.runtime.nativelib.NativePlan;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model emitted by {@link LlvmBackend#emit} and not yet compiled: the LLVM module and the plan that drives it.
 *
 * @param module owned by whoever holds this: hand it to a JIT or an AOT compiler, then close it
 * @param plan buffers, pointer table and steps; the segment symbols it names are functions of {@code module}
 * @param target what the module is meant for
 * @param nativeKinds kernel kinds emitted natively, with counts
 * @param fallbackKinds kernel kinds left to the JVM or the interpreter, with counts
 * @param emitMillis lowering and LLVM IR emission
 * @param emittedAt {@link System#nanoTime()} when emission finished
 * @param llvmIr the unoptimised IR text, or null unless {@link LlvmOptions#keepIr()}
 */
public record LlvmEmitted(LlvmModule module, NativePlan plan, TargetSpec target, Map<String, Integer> nativeKinds,
    Map<String, Integer> fallbackKinds, double emitMillis, long emittedAt, String llvmIr) {
  public LlvmEmitted {
    nativeKinds = Map.copyOf(nativeKinds);
    fallbackKinds = Map.copyOf(fallbackKinds);
  }

  /** Native and fallback kinds and the segment count, as {@link LlvmCompiled#report()} starts. */
  public String kinds() {
    long segs = plan.run().stream().filter(s -> s instanceof NativePlan.Step.Native).count();
    return "native " + new TreeMap<>(nativeKinds) + "; fallback " + new TreeMap<>(fallbackKinds) + "; " + segs + " native segment(s)";
  }
}
