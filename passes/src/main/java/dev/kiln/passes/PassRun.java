package dev.kiln.passes;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one pass did to one graph, as the {@link PassManager} reports it.
 *
 * <p>Figures: a pass may report named numbers about its run (groups fused, conversions left, arena bytes) by
 * calling {@link #figure} while it runs. The {@link PassManager} collects them for the pass it is running on the
 * current thread and hands them over in {@link #figures}; outside a manager (a pass run directly) the calls do
 * nothing. A side channel rather than a return value, so that {@link Pass#run} keeps its signature and passes stay
 * stateless and safe to run concurrently on different graphs.
 *
 * @param pass the pass name (with its options, as written in the pipeline)
 * @param graph the graph name, without {@code @}
 * @param nanos wall-clock time of the pass alone (verification excluded)
 * @param nodesBefore nodes in the graph before the pass, nested blocks included
 * @param nodesAfter nodes after it
 * @param figures the pass's figures in the order reported, never null (empty when it reported none); unmodifiable
 */
public record PassRun(String pass, String graph, long nanos, int nodesBefore, int nodesAfter, Map<String, Long> figures) {
  /** The figures of the pass running on this thread, or null when no manager collects them. */
  private static final ThreadLocal<Map<String, Long>> CURRENT = new ThreadLocal<>();

  public PassRun {
    figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
  }

  /** A run without figures. */
  public PassRun(String pass, String graph, long nanos, int nodesBefore, int nodesAfter) {
    this(pass, graph, nanos, nodesBefore, nodesAfter, Map.of());
  }

  /**
   * Reports a figure of the pass running on this thread; a second report of the same name replaces the first (its
   * position stays). Call only from inside {@link Pass#run}; does nothing when no {@link PassManager} collects.
   *
   * @param name a short lower-case name such as {@code inserted} or {@code arena-bytes}, not null; names ending in
   *     {@code -bytes} are printed in binary units by {@link #line}
   */
  public static void figure(String name, long value) {
    Map<String, Long> m = CURRENT.get();
    if (m != null) m.put(name, value);
  }

  /** True when a {@link PassManager} collects figures on this thread: passes may skip costly figures otherwise. */
  public static boolean collecting() { return CURRENT.get() != null; }

  /** Starts collecting on this thread for one pass; returns what was collected before (a nested manager), for {@link #endCollecting}. */
  static Map<String, Long> startCollecting() {
    Map<String, Long> outer = CURRENT.get();
    CURRENT.set(new LinkedHashMap<>());
    return outer;
  }

  /** Stops collecting, restores the outer collector and returns this pass's figures. */
  static Map<String, Long> endCollecting(Map<String, Long> outer) {
    Map<String, Long> mine = CURRENT.get();
    if (outer == null) CURRENT.remove();
    else CURRENT.set(outer);
    return mine == null ? Map.of() : mine;
  }

  /** Figure {@code name}, or {@code dflt} when the pass did not report it. */
  public long figureOr(String name, long dflt) { return figures.getOrDefault(name, dflt); }

  /**
   * One line such as {@code fold        @forward   1.25 ms   120 -> 97 nodes} followed by the figures,
   * {@code   removed=25 added=2}.
   */
  public String line(int nameWidth) {
    StringBuilder sb = new StringBuilder(String.format("%-" + Math.max(1, nameWidth) + "s  @%s  %8.2f ms  %6d -> %d nodes",
        pass, graph, nanos / 1e6, nodesBefore, nodesAfter));
    if (!figures.isEmpty()) sb.append(' ');
    for (Map.Entry<String, Long> e : figures.entrySet())
      sb.append(' ').append(e.getKey()).append('=').append(e.getKey().endsWith("-bytes") ? bytes(e.getValue()) : e.getValue().toString());
    return sb.toString();
  }

  /** {@code 512B}, {@code 3.06MiB} (no space, so that a line stays {@code name=value} words): exact below 1 KiB, else three significant digits. */
  static String bytes(long b) {
    if (Math.abs(b) < 1024) return b + "B";
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = b;
    int u = -1;
    while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; u++; }
    return String.format(v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v, units[u]);
  }
}
