package dev.kiln.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The results file: {@code <dir>/<date>-<backend>[-quick].md} with the date, the machine, the load, the exact
 * command, then one table row per cell (median, p90, min of both sides and the Kiln/ORT median ratio, first-call
 * latencies, the reference differences) and a table of setup costs.
 */
public final class MarkdownReport {
  private MarkdownReport() {}

  /**
   * Everything the report says besides the cells.
   *
   * @param loadBefore load averages when the run started (uptime's three numbers)
   * @param loadAfter load averages when it ended
   * @param notes extra lines (e.g. that Kiln's thread count was not controllable), may be empty
   */
  public record Header(String date, String backend, boolean quick, MachineInfo machine, String ortVersion,
                       String command, String loadBefore, String loadAfter, List<String> notes) {}

  /** The file name for a run: {@code 2026-11-23-interp.md}, or {@code ...-interp-quick.md} for a smoke run. */
  public static String fileName(Header h) { return h.date() + "-" + h.backend() + (h.quick() ? "-quick" : "") + ".md"; }

  /** Writes the report into {@code dir} (created if missing) and returns the file. */
  public static Path write(Path dir, Header h, List<Cell> cells) throws IOException {
    Files.createDirectories(dir);
    Path f = dir.resolve(fileName(h));
    Files.writeString(f, render(h, cells));
    return f;
  }

  /** The Markdown text of the report. */
  public static String render(Header h, List<Cell> cells) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Kiln (").append(h.backend()).append(") vs ONNX Runtime ").append(h.ortVersion())
        .append(h.quick() ? " — quick smoke run" : "").append("\n\n");
    sb.append("- date: ").append(h.date()).append('\n');
    sb.append("- machine: ").append(h.machine().cpu()).append(", ").append(h.machine().cores()).append(" cores, ")
        .append(h.machine().os()).append('\n');
    sb.append("- JDK: ").append(h.machine().jdk()).append('\n');
    sb.append("- load average (1, 5, 15 min): ").append(h.loadBefore()).append(" at the start, ")
        .append(h.loadAfter()).append(" at the end\n");
    sb.append("- command: `").append(h.command()).append("`\n");
    for (String n : h.notes()) sb.append("- ").append(n).append('\n');
    sb.append("\nTimes in milliseconds per call, measured in one process alternating Kiln and ONNX Runtime call by call. ")
        .append("ratio = Kiln median / ORT median (below 1: Kiln is faster). ")
        .append("Both outputs are checked against PyTorch's before timing; diff = max abs difference.\n\n");
    sb.append("| model | batch | threads | Kiln median | Kiln p90 | Kiln min | ORT median | ORT p90 | ORT min | Kiln/ORT "
        + "| Kiln first call | ORT first call | Kiln diff | ORT diff | pairs |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Cell c : cells) {
      String threads = c.threads() + (c.kilnThreads() != c.threads() ? " (Kiln " + c.kilnThreads() + ")" : "");
      sb.append("| ").append(c.model()).append(" | ").append(c.batch()).append(" | ").append(threads).append(" | ");
      if (!c.timed()) {
        sb.append("not timed: ").append(escape(c.error())).append(" |".repeat(12)).append('\n');
        continue;
      }
      Race.Result r = c.result();
      sb.append(String.join(" | ", ms(r.a().medianMs()), ms(r.a().p90Ms()), ms(r.a().minMs()),
          ms(r.b().medianMs()), ms(r.b().p90Ms()), ms(r.b().minMs()), String.format(Locale.ROOT, "%.2f", r.ratio()),
          ms(r.firstCallMsA()), ms(r.firstCallMsB()), sci(r.maxAbsDiffA()), sci(r.maxAbsDiffB()),
          Integer.toString(r.pairs()))).append(" |\n");
    }
    sb.append("\nSetup (once per model and batch, not timed above): Kiln import, optimization at the level shown, "
        + "backend compile; ONNX Runtime session creation (ALL_OPT) per thread count.\n\n");
    sb.append("| model | batch | threads | Kiln level | Kiln import | Kiln optimize | Kiln compile | ORT session | note |\n");
    sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Cell c : cells) {
      Cell.Setup s = c.setup();
      sb.append("| ").append(c.model()).append(" | ").append(c.batch()).append(" | ").append(c.threads()).append(" | ")
          .append(s.optLevel() < 0 ? "-" : "-O" + s.optLevel()).append(" | ").append(ms(s.importMs())).append(" | ")
          .append(ms(s.optimizeMs())).append(" | ").append(ms(s.compileMs())).append(" | ").append(ms(s.ortSessionMs()))
          .append(" | ").append(escape(s.note())).append(" |\n");
    }
    return sb.toString();
  }

  /** Three significant digits at least, no exponent: 0.0123, 1.23, 123, 1234. */
  static String ms(double v) {
    if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
    if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
    if (v >= 1) return String.format(Locale.ROOT, "%.2f", v);
    return String.format(Locale.ROOT, "%.4f", v);
  }

  static String sci(double v) { return String.format(Locale.ROOT, "%.1e", v); }

  /** Keeps a message on one table row: no pipes, no newlines. */
  static String escape(String s) {
    if (s == null) return "";
    return s.replace("|", "\\|").replace("\r", " ").replace("\n", " ");
  }
}
