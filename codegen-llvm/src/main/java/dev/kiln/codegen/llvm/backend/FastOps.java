package dev.kiln.codegen.llvm.backend;

/**
 * Switches of the explicit-vector emitters for non-GEMM ops (docs/llvm.md, "Fifth round"), read at each compile so
 * one process can compare both forms: {@code -Dkiln.llvm.fastOps=false} turns all of them off (the previous
 * emission), {@code -Dkiln.llvm.<name>=true|false} one of them ({@code fastAttention}, {@code fastReductions},
 * {@code fastLanes}); the per-op switch wins over {@code fastOps}.
 */
final class FastOps {
  private FastOps() {}

  static boolean on(String name) {
    return Boolean.parseBoolean(System.getProperty("kiln.llvm." + name, System.getProperty("kiln.llvm.fastOps", "true")));
  }
}
