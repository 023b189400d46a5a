package dev.kiln.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * PyTorch's own float and int8 medians, read from the tab-separated file bench/pytorch_quant_bench.py writes
 * (a "# torch VERSION ..." line, a "#column..." line, then model, batch, float_ms, int8_ms, float_min_ms, int8_min_ms,
 * pairs, max_abs_vs_saved per line).
 */
record TorchTimes(String version, Map<String, Row> rows) {
  record Row(String model, int batch, double floatMs, double int8Ms, int pairs, double maxAbsVsSaved) {
    double speedup() { return floatMs / int8Ms; }
  }

  static final TorchTimes NONE = new TorchTimes("not run", Map.of());

  Row get(String model, int batch) { return rows.get(model + "/" + batch); }

  /** @throws IllegalArgumentException naming the file and line that is not as described */
  static TorchTimes read(Path file) {
    String version = "unknown";
    Map<String, Row> rows = new HashMap<>();
    try {
      int n = 0;
      for (String line : Files.readAllLines(file)) {
        n++;
        if (line.startsWith("# torch ")) version = line.substring(2).strip();
        if (line.startsWith("#") || line.isBlank()) continue;
        String[] f = line.split("\t");
        try {
          if (f.length != 8) throw new NumberFormatException("expected 8 tab-separated columns, found " + f.length);
          Row r = new Row(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]), Integer.parseInt(f[6]),
              Double.parseDouble(f[7]));
          rows.put(r.model() + "/" + r.batch(), r);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(file + ":" + n + ": " + e.getMessage() + " in '" + line + "'");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
    return new TorchTimes(version, rows);
  }
}
