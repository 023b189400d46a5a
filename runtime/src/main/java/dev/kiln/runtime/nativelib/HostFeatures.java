package dev.kiln.runtime.nativelib;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The CPU features of the machine loading native code, and the check that a shared library compiled for a target
 * (its LLVM feature list, e.g. {@code +avx2,+fma,+avx512f}) can run here. Native code that uses an instruction the
 * CPU lacks dies with SIGILL, which the JVM cannot catch, so the check must happen before the library is loaded.
 *
 * <p>Needs no LLVM: the host's features come from the {@code flags} line of {@code /proc/cpuinfo}, and LLVM feature
 * names are mapped to cpuinfo flag names (they differ for a few, e.g. {@code avx512vnni} is {@code avx512_vnni}).
 */
public record HostFeatures(Set<String> flags) {
  public HostFeatures {
    flags = Set.copyOf(flags);
  }

  /** LLVM feature names whose cpuinfo flag is spelt differently; others map '.' and '-' to '_' (sse4.2 to sse4_2). */
  private static final Map<String, String> CPUINFO_NAME = Map.ofEntries(
      Map.entry("avx512vnni", "avx512_vnni"), Map.entry("avx512bf16", "avx512_bf16"),
      Map.entry("avx512vbmi2", "avx512_vbmi2"), Map.entry("avx512bitalg", "avx512_bitalg"),
      Map.entry("avx512vpopcntdq", "avx512_vpopcntdq"), Map.entry("avx512fp16", "avx512_fp16"),
      Map.entry("avxvnni", "avx_vnni"), Map.entry("bmi", "bmi1"), Map.entry("lzcnt", "abm"),
      Map.entry("sse3", "pni"), Map.entry("cx8", "cx8"), Map.entry("sahf", "lahf_lm"), Map.entry("prfchw", "3dnowprefetch"),
      Map.entry("64bit", "lm"), Map.entry("crc32", "sse4_2"), Map.entry("pclmul", "pclmulqdq"), Map.entry("rdrnd", "rdrand"),
      Map.entry("sha", "sha_ni"), Map.entry("x87", "fpu"), Map.entry("cmpxchg16b", "cx16"), Map.entry("shstk", "user_shstk"),
      // LLVM's "512-bit EVEX encodings" pseudo-feature: every AVX-512 CPU before AVX10 has it with avx512f.
      Map.entry("evex512", "avx512f"));

  /** Reads {@code /proc/cpuinfo}; never null. Empty flags when it cannot be read (every check then fails). */
  public static HostFeatures detect() {
    try {
      return parse(Files.readString(Path.of("/proc/cpuinfo")));
    } catch (IOException | SecurityException e) {
      return new HostFeatures(Set.of());
    }
  }

  /** The flags of the first processor block of a cpuinfo text. */
  public static HostFeatures parse(String cpuinfo) {
    Set<String> flags = new LinkedHashSet<>();
    for (String line : cpuinfo.split("\n")) {
      if (line.isBlank() && !flags.isEmpty()) break;
      int colon = line.indexOf(':');
      if (colon >= 0 && line.substring(0, colon).trim().equals("flags"))
        flags.addAll(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
    }
    return new HostFeatures(flags);
  }

  /**
   * The features a target needs that this host lacks, in the order given, by their LLVM names. Entries starting with
   * '-' (features turned off) are never missing; a leading '+' is optional.
   *
   * @param llvmFeatures e.g. {@code ["+avx2", "+fma", "-avx512f"]}, not null
   */
  public List<String> missing(Collection<String> llvmFeatures) {
    List<String> out = new ArrayList<>();
    for (String f : llvmFeatures) {
      String s = f.strip();
      if (s.isEmpty() || s.startsWith("-")) continue;
      if (s.startsWith("+")) s = s.substring(1);
      String flag = CPUINFO_NAME.getOrDefault(s, s.replace('.', '_').replace('-', '_'));
      if (!flags.contains(flag)) out.add(s);
    }
    return out;
  }

  /**
   * Throws when the host lacks a feature the target needs.
   *
   * @param where names the library or artifact in the message, e.g. {@code m.kiln!native/libkiln_model.so}
   * @param cpu the target CPU name from the manifest, for the message (may be null)
   * @throws UnsatisfiedLinkError naming {@code where}, the target CPU and every missing feature
   */
  public void require(Collection<String> llvmFeatures, String where, String cpu) {
    List<String> miss = missing(llvmFeatures);
    if (miss.isEmpty()) return;
    throw new UnsatisfiedLinkError(where + ": compiled for " + (cpu == null ? "a target" : "CPU " + cpu)
        + " needing feature" + (miss.size() == 1 ? " " : "s ") + String.join(", ", miss)
        + ", which this machine's CPU lacks; recompile with a portable target such as --target x86-64-v3");
  }
}
