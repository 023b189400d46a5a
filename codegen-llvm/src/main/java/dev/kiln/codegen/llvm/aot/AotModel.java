package dev.kiln.codegen.llvm.aot;

import dev.kiln.runtime.nativelib.NativePlan;
import java.util.List;

/**
 * A model compiled ahead of time by {@link AotModelCompiler}: what an llvm artifact stores besides the graph and the
 * weights.
 *
 * @param library the shared library's bytes (an ELF {@code .so} exporting the plan's segment symbols)
 * @param plan how to drive it
 * @param planJson {@code plan} as the text stored in the artifact (checked to read back to the same plan)
 * @param cpu the LLVM CPU name it was compiled for
 * @param features the LLVM features it needs, e.g. {@code +avx2}
 * @param report native and fallback kinds and compile times, one line
 */
public record AotModel(byte[] library, NativePlan plan, String planJson, String cpu, List<String> features, String report) {
  public AotModel {
    features = List.copyOf(features);
  }
}
