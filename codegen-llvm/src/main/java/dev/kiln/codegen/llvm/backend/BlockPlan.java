package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.ir.Graph;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.passes.lower.LoweringOptions;

/**
 * What the LLVM backend's planning fuses into inverted-residual blocks ({@link InvertedResidualFusion}), as text: one
 * line per fused block, e.g.
 * {@code k5_block = [k4, k5, k6]: expand 16->96, dw 3x3/s2 112x112x96 -> 56x56, project ->24, band 5 of 56 rows}.
 * For golden tests and reports; compiles nothing.
 */
public final class BlockPlan {
  private BlockPlan() {}

  /** @param optimized the graph after the optimization pipeline, not null (lowered here as {@link LlvmBackend} does) */
  public static String of(Graph optimized, LlvmOptions opts) {
    var p = KernelLowering.lower(optimized, LoweringOptions.NATIVE);
    TargetSpec target = TargetSpec.parse(opts.target());
    WeightPrepack prepack = WeightPrepack.enabled()
        ? WeightPrepack.apply(p, GemmConfig.forLanes(target.floatLanes()).nr()) : WeightPrepack.none(p);
    if (!InvertedResidualChain.enabled()) return "";
    return InvertedResidualFusion.apply(prepack.program(), prepack.packed()).describe();
  }
}
