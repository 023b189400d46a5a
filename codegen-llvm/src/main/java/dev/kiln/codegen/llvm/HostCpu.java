package dev.kiln.codegen.llvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The host CPU as the LLVM backend needs it: model name and the feature flags that decide which kernels to emit
 * (AVX2, AVX-512, VNNI). Read from {@code /proc/cpuinfo}; on other systems the feature set is empty.
 */
public record HostCpu(String modelName, Set<String> flags) {
  public HostCpu {
    flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
  }

  /** Reads {@code /proc/cpuinfo}; never null, empty flags when it cannot be read. */
  public static HostCpu detect() {
    try {
      return parse(Files.readString(Path.of("/proc/cpuinfo")));
    } catch (IOException | SecurityException e) {
      return new HostCpu("unknown", Set.of());
    }
  }

  /** Parses the first processor block of a cpuinfo text. */
  public static HostCpu parse(String cpuinfo) {
    String model = "unknown";
    Set<String> flags = new LinkedHashSet<>();
    for (String line : cpuinfo.split("\n")) {
      if (line.isBlank() && !flags.isEmpty()) break;
      int colon = line.indexOf(':');
      if (colon < 0) continue;
      String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
      if (key.equals("model name")) model = value;
      else if (key.equals("flags")) flags.addAll(Arrays.asList(value.split("\\s+")));
    }
    return new HostCpu(model, flags);
  }

  /** The "cpu MHz" of the first processor in {@code /proc/cpuinfo}, or 0 when unknown. */
  public static double reportedMhz() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("cpu MHz")) return Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
      }
    } catch (IOException | RuntimeException e) {
      // unknown clock: callers print 0
    }
    return 0;
  }

  public boolean hasAvx2() { return flags.contains("avx2") && flags.contains("fma"); }

  public boolean hasAvx512() { return flags.contains("avx512f"); }

  /** AVX-512 VNNI (vpdpbusd), used by int8 kernels. */
  public boolean hasVnni() { return flags.contains("avx512_vnni"); }

  /** Widest float vector in lanes that kernels may assume: 16 with AVX-512, 8 with AVX2, else 4. */
  public int floatLanes() { return hasAvx512() ? 16 : hasAvx2() ? 8 : 4; }
}
