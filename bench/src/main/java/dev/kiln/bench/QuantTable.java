package dev.kiln.bench;

import java.util.List;
import java.util.Locale;

/** The int8 bench's Markdown report: header (date, machine, load, command, notes), then one row per model, batch and backend. */
final class QuantTable {
  private QuantTable() {}

  record Header(String date, MachineInfo machine, String ortVersion, String torchVersion, String command, String loadBefore,
                String loadAfter, List<String> notes) {}

  static String render(Header h, List<QuantRow> rows) {
    StringBuilder sb = new StringBuilder("# Kiln int8 vs fp32, with ONNX Runtime " + h.ortVersion() + " and PyTorch " + h.torchVersion() + "\n\n");
    sb.append("- date: ").append(h.date()).append('\n');
    sb.append("- machine: ").append(h.machine().cpu()).append(", ").append(h.machine().cores()).append(" cores, ")
        .append(h.machine().os()).append("; JDK ").append(h.machine().jdk()).append('\n');
    sb.append("- load average (1, 5, 15 min): ").append(h.loadBefore()).append(" at the start, ").append(h.loadAfter()).append(" at the end\n");
    sb.append("- command: `").append(h.command()).append("`\n");
    for (String n : h.notes()) sb.append("- ").append(MarkdownReport.escape(n)).append('\n');
    sb.append("\nMedian milliseconds per call. Kiln and ONNX Runtime columns of a row were measured in one process, calls in turn "
        + "(Kiln fp32, Kiln int8, ORT fp32, ORT int8) round after round; PyTorch's in its own process just before (the same "
        + "for every backend of a model). x = fp32 median / int8 median (above 1: int8 is faster). relL2 = relative L2 error "
        + "of Kiln int8's output against Kiln fp32's; vs torch = max abs difference from PyTorch's int8 output.\n\n");
    sb.append("| model | mode | batch | backend | Kiln fp32 | Kiln int8 | Kiln x | ORT fp32 | ORT int8 | ORT x | PyTorch fp32 | PyTorch int8 "
        + "| PyTorch x | Kiln int8 / PyTorch int8 | relL2 | vs torch | rounds |\n");
    sb.append("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (QuantRow r : rows) {
      sb.append("| ").append(r.model()).append(" | ").append(r.mode()).append(" | ").append(r.batch()).append(" | ").append(r.backend()).append(" | ");
      TorchTimes.Row t = r.torch();
      if (!r.timed()) {
        sb.append("not timed: ").append(MarkdownReport.escape(r.refused())).append(" |".repeat(6)).append(' ')
            .append(t == null ? "- | - | -" : ms(t.floatMs()) + " | " + ms(t.int8Ms()) + " | " + x(t.floatMs(), t.int8Ms()))
            .append(" |".repeat(5)).append('\n');
        continue;
      }
      String ortQ = r.ortInt8() == null ? "-" : ms(r.ortInt8().medianMs());
      String ortX = r.ortInt8() == null ? "-" : x(r.ortFp32().medianMs(), r.ortInt8().medianMs());
      sb.append(String.join(" | ", ms(r.kilnFp32().medianMs()), ms(r.kilnInt8().medianMs()), x(r.kilnFp32().medianMs(), r.kilnInt8().medianMs()),
          ms(r.ortFp32().medianMs()), ortQ, ortX,
          t == null ? "-" : ms(t.floatMs()), t == null ? "-" : ms(t.int8Ms()), t == null ? "-" : x(t.floatMs(), t.int8Ms()),
          t == null ? "-" : String.format(Locale.ROOT, "%.2f", r.kilnInt8().medianMs() / t.int8Ms()),
          String.format(Locale.ROOT, "%.4f", r.int8VsFp32()), Double.isNaN(r.int8VsTorchInt8()) ? "-" : MarkdownReport.sci(r.int8VsTorchInt8()),
          Integer.toString(r.rounds()))).append(" |\n");
    }
    return sb.toString();
  }

  private static String ms(double v) { return MarkdownReport.ms(v); }

  private static String x(double fp32, double int8) { return String.format(Locale.ROOT, "%.2f", fp32 / int8); }
}
