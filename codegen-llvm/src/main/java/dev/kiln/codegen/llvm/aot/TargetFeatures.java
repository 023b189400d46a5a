package dev.kiln.codegen.llvm.aot;

import dev.kiln.codegen.llvm.TargetSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CPU features an artifact compiled for a {@link TargetSpec} needs, as LLVM feature strings ({@code +avx2}) for
 * its manifest: the runtime refuses to load code whose features the host lacks, since a missing instruction kills
 * the process. LLVM's C API reports the host's features but not a named CPU's, so named targets are limited to the
 * x86-64 micro-architecture levels (whose feature sets are fixed by the psABI) and to the host's own CPU name.
 */
public final class TargetFeatures {
  private TargetFeatures() {}

  private static final List<String> V1 = List.of("+cmov", "+cx8", "+fxsr", "+mmx", "+sse", "+sse2");
  private static final List<String> V2 = List.of("+cx16", "+sahf", "+popcnt", "+sse3", "+sse4.1", "+sse4.2", "+ssse3");
  private static final List<String> V3 = List.of("+avx", "+avx2", "+bmi", "+bmi2", "+f16c", "+fma", "+lzcnt", "+movbe", "+xsave");
  private static final List<String> V4 = List.of("+avx512f", "+avx512bw", "+avx512cd", "+avx512dq", "+avx512vl");

  /**
   * Host features generated code never uses, left out of the manifest: CET shadow stacks ({@code shstk}) need
   * {@code -fcf-protection}, which Kiln never asks for, and hypervisors often hide the flag from /proc/cpuinfo.
   */
  private static final Set<String> UNUSED = Set.of("+shstk");

  /** The x86-64 levels by LLVM CPU name. */
  static final Map<String, List<List<String>>> LEVELS = Map.of(
      "x86-64", List.of(V1), "x86-64-v2", List.of(V1, V2), "x86-64-v3", List.of(V1, V2, V3), "x86-64-v4", List.of(V1, V2, V3, V4));

  /**
   * The '+' features code for {@code target} may use, sorted: the level's features for an x86-64 level, the host's
   * enabled features for the host (or its CPU by name).
   *
   * @param host this machine as LLVM sees it ({@link TargetSpec#host()})
   * @throws IllegalArgumentException for another named CPU, whose features Kiln cannot list
   */
  public static List<String> of(TargetSpec target, TargetSpec host) {
    List<List<String>> level = LEVELS.get(target.cpu());
    if (level != null && target.features().isEmpty()) {
      Set<String> out = new LinkedHashSet<>();
      level.forEach(out::addAll);
      return out.stream().sorted().toList();
    }
    String features = target.features();
    if (features.isEmpty() && target.cpu().equals(host.cpu())) features = host.features();
    if (features.isEmpty())
      throw new IllegalArgumentException("--target " + target.cpu() + ": the CPU features of a named CPU are unknown to Kiln, so the"
          + " artifact could not guard against running on a CPU without them; use host (this machine, " + host.cpu()
          + ") or one of " + LEVELS.keySet().stream().sorted().toList());
    List<String> out = new ArrayList<>();
    for (String f : Arrays.asList(features.split(",")))
      if (f.startsWith("+") && !UNUSED.contains(f.strip())) out.add(f.strip());
    return out.stream().distinct().sorted().toList();
  }
}
