package dev.kiln.codegen.llvm.backend;

/**
 * Options of {@link LlvmBackend#compile}.
 *
 * @param target {@code "host"} (this machine's CPU and features, the default) or an LLVM CPU name such as
 *     {@code x86-64-v3}; the JIT runs the code in this process, so a named target must be one this CPU can run
 * @param keepIr keep the textual LLVM IR (before optimisation) in {@link LlvmCompiled#llvmIr()}; costs time on big models
 */
public record LlvmOptions(String target, boolean keepIr) {
  public LlvmOptions {
    if (target == null || target.isBlank()) target = "host";
  }

  /** Host target, IR not kept. */
  public static LlvmOptions defaults() { return new LlvmOptions("host", false); }

  public LlvmOptions withKeepIr(boolean keep) { return new LlvmOptions(target, keep); }
}
