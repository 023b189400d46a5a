package dev.kiln.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What a results file must say about where it was measured.
 *
 * @param cpu the CPU's model name as lscpu prints it (or /proc/cpuinfo's), "unknown" when neither answers
 * @param cores the cores this JVM may use
 * @param jdk the JDK's version and VM name
 * @param os the OS name, version and architecture
 */
public record MachineInfo(String cpu, int cores, String jdk, String os) {
  /** Probes this machine; never throws (unknown fields say "unknown"). */
  public static MachineInfo probe() {
    return new MachineInfo(cpuModel(), Runtime.getRuntime().availableProcessors(),
        Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")",
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
  }

  /** The 1, 5 and 15 minute load averages from /proc/loadavg (what uptime prints), or "unknown". */
  public static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static String cpuModel() {
    String fromLscpu = field(run("lscpu"), "Model name:");
    if (fromLscpu != null) return fromLscpu;
    try {
      String fromProc = field(Files.readString(Path.of("/proc/cpuinfo")), "model name");
      return fromProc != null ? fromProc : "unknown";
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The value after {@code key} (and a colon) on the first line starting with it. */
  static String field(String text, String key) {
    if (text == null) return null;
    for (String line : text.split("\n")) {
      if (!line.startsWith(key)) continue;
      String v = line.substring(key.length()).trim();
      if (v.startsWith(":")) v = v.substring(1).trim();
      return v.isEmpty() ? null : v;
    }
    return null;
  }

  private static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
