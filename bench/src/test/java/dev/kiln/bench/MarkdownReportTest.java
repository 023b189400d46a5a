package dev.kiln.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MarkdownReportTest {
  private static final MarkdownReport.Header HEADER = new MarkdownReport.Header("2026-11-23", "interp", false,
      new MachineInfo("AMD EPYC", 2, "25.0.1 (OpenJDK 64-Bit Server VM, Eclipse Adoptium)", "Linux 6.1 amd64"), "1.23.2",
      "bench/side-by-side.sh --models mlp", "2.09, 4.04, 4.65", "3.00, 3.50, 4.00", List.of("a note | with a pipe"));

  private static Cell timed() {
    // Kiln 2, 4, 6 ms; ORT 1, 1, 1 ms: ratio 4 / 1.
    var r = new Race.Result(LatencyStats.of(new long[] {2_000_000, 4_000_000, 6_000_000}),
        LatencyStats.of(new long[] {1_000_000, 1_000_000, 1_000_000}), 150.4, 12.25, 1.5e-6, 2e-7, 3);
    return Cell.timed("mlp", 1, 1, 2, new Cell.Setup(2, "", 10, 20, 0.5, 30), r);
  }

  @Test
  void rendersHeaderRowsAndRatios() {
    String md = MarkdownReport.render(HEADER, List.of(timed(), Cell.refused("lstm", 8, 2, 2, Cell.Setup.NONE, "wrong answer: ort lstm b8 t2: max abs diff\n9.0")));
    assertTrue(md.startsWith("# Kiln (interp) vs ONNX Runtime 1.23.2\n"), md);
    for (String s : List.of("- date: 2026-11-23", "- machine: AMD EPYC, 2 cores, Linux 6.1 amd64", "- JDK: 25.0.1",
        "- load average (1, 5, 15 min): 2.09, 4.04, 4.65 at the start, 3.00, 3.50, 4.00 at the end",
        "- command: `bench/side-by-side.sh --models mlp`", "- a note | with a pipe"))
      assertTrue(md.contains(s + (s.startsWith("- JDK") ? "" : "\n")), "missing '" + s + "' in\n" + md);
    assertTrue(md.contains("| mlp | 1 | 1 (Kiln 2) | 4.00 | 5.60 | 2.00 | 1.00 | 1.00 | 1.00 | 4.00 | 150 | 12.3 | 1.5e-06 | 2.0e-07 | 3 |\n"), md);
    assertTrue(md.contains("| lstm | 8 | 2 | not timed: wrong answer: ort lstm b8 t2: max abs diff 9.0 |"), md);
    assertTrue(md.contains("| mlp | 1 | 1 | -O2 | 10.0 | 20.0 | 0.5000 | 30.0 |  |\n"), md);
    assertTrue(md.contains("| lstm | 8 | 2 | - |"), md);
  }

  @Test
  void everyRowOfATableHasTheHeadersColumnCount() {
    String md = MarkdownReport.render(HEADER, List.of(timed(), Cell.refused("lstm", 8, 2, 2, Cell.Setup.NONE, "a|b")));
    int header = -1;
    for (String line : md.split("\n")) {
      if (!line.startsWith("|")) {
        header = -1;
        continue;
      }
      int cols = line.replace("\\|", "").split("\\|", -1).length;
      if (header < 0) header = cols;
      assertEquals(header, cols, "row '" + line + "'");
    }
  }

  @Test
  void writesDatedFileNamedForTheBackend(@TempDir Path dir) throws Exception {
    Path f = MarkdownReport.write(dir.resolve("results"), HEADER, List.of(timed()));
    assertEquals("2026-11-23-interp.md", f.getFileName().toString());
    assertEquals(MarkdownReport.render(HEADER, List.of(timed())), Files.readString(f));
    var quick = new MarkdownReport.Header("2026-11-23", "jvm", true, HEADER.machine(), "1.23.2", "c", "l", "l", List.of());
    assertEquals("2026-11-23-jvm-quick.md", MarkdownReport.fileName(quick));
  }

  @Test
  void millisecondsKeepThreeDigits() {
    assertEquals("0.0123", MarkdownReport.ms(0.01234));
    assertEquals("1.23", MarkdownReport.ms(1.234));
    assertEquals("12.3", MarkdownReport.ms(12.34));
    assertEquals("1234", MarkdownReport.ms(1234.4));
  }
}
