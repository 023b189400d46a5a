package dev.kiln.tests.golden;

import java.util.ArrayList;
import java.util.List;

/**
 * One golden file split into its cases. The file holds one {@code // RUN: <pipeline>} line (the pipeline may be
 * empty: parse and print only) and one or more cases separated by lines {@code // -----}; each case is IR text
 * with its {@code CHECK} lines.
 *
 * @param text the case's lines, preceded by blank lines so that its line numbers are those of the file (parse
 *     errors and CHECK failures then point into the file itself)
 * @param firstLine the file line on which the case starts (1-based)
 */
record GoldenCase(String file, String pipeline, String text, int firstLine) {
  static final String RUN = "// RUN:";
  static final String SPLIT = "// -----";

  /** @throws IllegalArgumentException if there is no RUN line or more than one */
  static List<GoldenCase> split(String file, String content) {
    String[] lines = content.split("\n", -1);
    String pipeline = null;
    for (int i = 0; i < lines.length; i++) {
      String l = lines[i].strip();
      if (!l.startsWith(RUN)) continue;
      if (pipeline != null) throw new IllegalArgumentException(file + ":" + (i + 1) + ": a second RUN line; one per file");
      pipeline = l.substring(RUN.length()).strip();
    }
    if (pipeline == null) throw new IllegalArgumentException(file + ":1: no '// RUN: <pipeline>' line");
    List<GoldenCase> cases = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= lines.length; i++) {
      if (i < lines.length && !lines[i].strip().equals(SPLIT)) continue;
      StringBuilder sb = new StringBuilder("\n".repeat(start));
      for (int k = start; k < i; k++) sb.append(lines[k]).append('\n');
      cases.add(new GoldenCase(file, pipeline, sb.toString(), start + 1));
      start = i + 1;
    }
    return cases;
  }

  /** For test names: {@code dce.kir:12}. */
  String label() { return file.substring(file.lastIndexOf('/') + 1) + ":" + firstLine; }
}
