package dev.kiln.codegen.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.Objects;

/**
 * What machine code is generated for: an LLVM triple, CPU name and feature string. {@link #host()} is this machine
 * exactly as LLVM sees it (e.g. {@code znver4} with AVX-512); {@link #named(String)} is a portable CPU level such as
 * {@code x86-64-v3} (AVX2+FMA, 8 float lanes) for artifacts that must run on other machines.
 *
 * @param triple   target triple, e.g. {@code x86_64-unknown-linux-gnu}; never null
 * @param cpu      LLVM CPU name; never null
 * @param features LLVM feature string ({@code +avx2,-avx512f,...}); never null, empty means "those of the CPU"
 */
public record TargetSpec(String triple, String cpu, String features) {
  /** The CPU level used when an artifact must run on any AVX2 machine. */
  public static final String PORTABLE = "x86-64-v3";

  public TargetSpec {
    Objects.requireNonNull(triple, "triple");
    Objects.requireNonNull(cpu, "cpu");
    Objects.requireNonNull(features, "features");
  }

  /** This host: LLVMGetHostCPUName and LLVMGetHostCPUFeatures on the default triple. */
  public static TargetSpec host() {
    Llvm.init();
    String triple = Llvm.takeMessage(LLVMGetDefaultTargetTriple());
    return new TargetSpec(triple, Llvm.takeMessage(LLVMGetHostCPUName()), Llvm.takeMessage(LLVMGetHostCPUFeatures()));
  }

  /** A named CPU (e.g. {@code x86-64-v3}, {@code znver4}) on the host's triple, with that CPU's own features. */
  public static TargetSpec named(String cpu) {
    Llvm.init();
    return new TargetSpec(Llvm.takeMessage(LLVMGetDefaultTargetTriple()), cpu, "");
  }

  /** {@code "host"} (or null) gives {@link #host()}, anything else {@link #named(String)}; the CLI's --target. */
  public static TargetSpec parse(String name) {
    return name == null || name.equals("host") ? host() : named(name);
  }

  /**
   * Widest float vector the generated kernels should use: 16 when AVX-512F is on, 8 with AVX2. For named CPUs the
   * feature string is empty, so the known portable levels are recognised by name.
   */
  public int floatLanes() {
    if (features.contains("+avx512f")) return 16;
    if (features.contains("+avx2")) return 8;
    if (!features.isEmpty()) return 4;
    return switch (cpu) {
      case "x86-64-v4", "skylake-avx512", "icelake-server", "sapphirerapids", "znver4", "znver5" -> 16;
      case "x86-64-v3", "haswell", "skylake", "znver2", "znver3" -> 8;
      default -> 4;
    };
  }

  @Override
  public String toString() {
    return triple + " cpu=" + cpu + (features.isEmpty() ? "" : " features=" + features.split(",").length + " flags");
  }
}
