package dev.kiln.tests.golden;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small FileCheck (after LLVM's): matches {@code // CHECK...} lines against a program's output.
 *
 * <ul>
 *   <li>{@code CHECK: p} — p occurs at or after the end of the previous match.
 *   <li>{@code CHECK-NEXT: p} — p occurs on the line right after the previous match's line.
 *   <li>{@code CHECK-SAME: p} — p occurs on the previous match's line, after it.
 *   <li>{@code CHECK-NOT: p} — p does not occur between the previous match and the next positive match (or the
 *       end of the region).
 *   <li>{@code CHECK-LABEL: p} — labels are found first, in order, and split the output into regions; the
 *       directives after a label match only up to the next label's line, so a failure in one graph does not
 *       cascade into the next.
 * </ul>
 *
 * Patterns are literal text except {@code {{regex}}}, {@code [[NAME:regex]]} (capture, defining NAME) and
 * {@code [[NAME]]} (the text NAME captured earlier in the same case). Runs of blanks match any run of blanks,
 * and leading/trailing blanks of a pattern are ignored.
 */
public final class FileCheck {
  private FileCheck() {}

  public enum Kind { CHECK, NEXT, SAME, NOT, LABEL }

  /** One directive: its kind, pattern text and 1-based line in the check file. */
  public record Directive(Kind kind, String pattern, int line) {
    String spelling() { return kind == Kind.CHECK ? "CHECK" : "CHECK-" + kind.name(); }
  }

  /** A failed match; the message names the check file, line, directive and shows the output around the spot. */
  public static final class Failure extends AssertionError {
    Failure(String message) { super(message); }
  }

  private static final Pattern DIRECTIVE = Pattern.compile("//\\s*CHECK(?:-(NEXT|SAME|NOT|LABEL))?:(.*)$");
  private static final Pattern VAR = Pattern.compile("\\[\\[([A-Za-z_][A-Za-z0-9_]*)(?::(.*?))?\\]\\]");

  /**
   * Collects the directives in {@code text}.
   *
   * @param firstLine the file line number of the first line of {@code text} (1 for a whole file)
   */
  public static List<Directive> directives(String text, int firstLine) {
    List<Directive> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher m = DIRECTIVE.matcher(lines[i]);
      if (!m.find()) continue;
      Kind k = m.group(1) == null ? Kind.CHECK : switch (m.group(1)) {
        case "NEXT" -> Kind.NEXT;
        case "SAME" -> Kind.SAME;
        case "NOT" -> Kind.NOT;
        default -> Kind.LABEL;
      };
      out.add(new Directive(k, m.group(2).strip(), firstLine + i));
    }
    return out;
  }

  /**
   * Matches {@code checks} against {@code output}.
   *
   * @param file names the check file in failure messages
   * @throws Failure on the first directive that does not hold, or when {@code checks} is empty
   */
  public static void match(List<Directive> checks, String output, String file) {
    if (checks.isEmpty()) throw new Failure(file + ": no CHECK lines; a golden case must check something");
    new Matching(checks, output, file).run();
  }

  /** The state of one match: output lines, captured variables, where the previous match ended. */
  private static final class Matching {
    private final List<Directive> checks;
    private final String[] lines;
    private final String file;
    private final Map<String, String> vars = new HashMap<>();

    Matching(List<Directive> checks, String output, String file) {
      this.checks = checks;
      this.lines = output.split("\n", -1);
      this.file = file;
    }

    /** A position in the output: line index and column. */
    private record Pos(int line, int col) {}

    /** A match on output line {@code line}, columns [start, end). */
    private record Hit(int line, int start, int end) {
      Pos startPos() { return new Pos(line, start); }

      Pos endPos() { return new Pos(line, end); }
    }

    void run() {
      // Labels first: each is found after the previous one; the lines between consecutive labels form a region.
      List<Integer> labelIdx = new ArrayList<>();
      List<Integer> labelLine = new ArrayList<>();
      int from = 0;
      for (int i = 0; i < checks.size(); i++) {
        Directive d = checks.get(i);
        if (d.kind() != Kind.LABEL) continue;
        Hit h = find(d, new Pos(from, 0), lines.length);
        if (h == null) throw fail(d, "label not found in the output after line " + (from + 1), from);
        labelIdx.add(i);
        labelLine.add(h.line());
        from = h.line() + 1;
      }
      // Directives before the first label look from the top; each label's region ends where the next label is.
      for (int r = 0; r <= labelIdx.size(); r++) {
        int first = r == 0 ? 0 : labelIdx.get(r - 1);
        int last = r < labelIdx.size() ? labelIdx.get(r) : checks.size();
        int regionStart = r == 0 ? 0 : labelLine.get(r - 1);
        int regionEnd = r < labelIdx.size() ? labelLine.get(r) : lines.length;
        matchRegion(first, last, new Pos(regionStart, 0), regionEnd);
      }
    }

    /** Matches checks[first, last) in lines [pos.line, end); a LABEL at {@code first} re-matches to bind variables. */
    private void matchRegion(int first, int last, Pos pos, int end) {
      List<Directive> pendingNot = new ArrayList<>();
      Pos prev = pos;
      boolean matchedAny = false;
      for (int i = first; i < last; i++) {
        Directive d = checks.get(i);
        switch (d.kind()) {
          case NOT -> pendingNot.add(d);
          case CHECK, LABEL -> {
            Hit h = find(d, prev, end);
            if (h == null) throw fail(d, "expected text not found after line " + (prev.line() + 1), prev.line());
            checkNots(pendingNot, prev, h.startPos());
            prev = h.endPos();
            matchedAny = true;
          }
          case NEXT, SAME -> {
            if (!matchedAny) throw fail(d, d.spelling() + " needs a CHECK or CHECK-LABEL before it in this region", prev.line());
            int line = d.kind() == Kind.NEXT ? prev.line() + 1 : prev.line();
            Pos from = d.kind() == Kind.NEXT ? new Pos(line, 0) : prev;
            if (line >= end) throw fail(d, "no line " + (line + 1) + " in this part of the output", prev.line());
            Hit h = find(d, from, line + 1);
            if (h == null)
              throw fail(d, d.kind() == Kind.NEXT ? "expected on the line after the previous match (line " + (line + 1) + ")"
                  : "expected on the same line as the previous match (line " + (line + 1) + ")", line);
            checkNots(pendingNot, prev, h.startPos());
            prev = h.endPos();
          }
        }
      }
      checkNots(pendingNot, prev, new Pos(end, 0));
    }

    private void checkNots(List<Directive> nots, Pos from, Pos to) {
      for (Directive n : nots) {
        Hit h = find(n, from, Math.min(to.line() + 1, lines.length));
        if (h != null && (h.line() < to.line() || h.line() == to.line() && h.end() <= to.col()))
          throw fail(n, "excluded text found on line " + (h.line() + 1), h.line());
      }
      nots.clear();
    }

    /** First match of d at or after {@code from}, on lines before {@code endLine}; binds captured variables. */
    private Hit find(Directive d, Pos from, int endLine) {
      Pattern p = compile(d);
      for (int l = from.line(); l < endLine && l < lines.length; l++) {
        Matcher m = p.matcher(lines[l]);
        int col = l == from.line() ? from.col() : 0;
        if (col > lines[l].length() || !m.find(col)) continue;
        if (d.kind() != Kind.NOT) bind(d, m);
        return new Hit(l, m.start(), m.end());
      }
      return null;
    }

    /** Names of variables defined by the directive, in group order (groups are named v0, v1, ...). */
    private final Map<Directive, List<String>> defined = new HashMap<>();

    private void bind(Directive d, Matcher m) {
      List<String> names = defined.getOrDefault(d, List.of());
      for (int i = 0; i < names.size(); i++) vars.put(names.get(i), m.group("v" + i));
    }

    /** Turns a pattern into a regex: literal text quoted, blanks flexible, variables as groups or their values. */
    private Pattern compile(Directive d) {
      String s = d.pattern();
      StringBuilder re = new StringBuilder();
      List<String> defs = new ArrayList<>();
      int i = 0;
      while (i < s.length()) {
        int regex = s.indexOf("{{", i), var = s.indexOf("[[", i);
        int next = regex < 0 ? var : var < 0 ? regex : Math.min(regex, var);
        if (next < 0) next = s.length();
        re.append(literal(s.substring(i, next)));
        if (next == s.length()) break;
        if (next == regex) {
          int close = s.indexOf("}}", next + 2);
          if (close < 0) throw fail(d, "unclosed {{ in pattern", -1);
          re.append("(?:").append(s, next + 2, close).append(')');
          i = close + 2;
        } else {
          Matcher v = VAR.matcher(s);
          if (!v.find(next) || v.start() != next) throw fail(d, "bad variable syntax at '" + s.substring(next) + "'", -1);
          String name = v.group(1);
          if (v.group(2) != null) {
            re.append("(?<v").append(defs.size()).append('>').append(v.group(2)).append(')');
            defs.add(name);
          } else if (defs.contains(name)) {
            re.append("\\k<v").append(defs.indexOf(name)).append('>');
          } else if (vars.containsKey(name)) {
            re.append(Pattern.quote(vars.get(name)));
          } else {
            throw fail(d, "variable [[" + name + "]] is used before it is defined", -1);
          }
          i = v.end();
        }
      }
      defined.put(d, defs);
      try {
        return Pattern.compile(re.toString());
      } catch (java.util.regex.PatternSyntaxException e) {
        throw fail(d, "bad regex: " + e.getDescription(), -1);
      }
    }

    private static String literal(String text) {
      String[] parts = text.split("[ \\t]+", -1);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < parts.length; i++) {
        if (i > 0) sb.append("[ \\t]+");
        if (!parts[i].isEmpty()) sb.append(Pattern.quote(parts[i]));
      }
      return sb.toString();
    }

    /** The failure message: file:line, the directive, why, and the output near {@code near} (a line index). */
    private Failure fail(Directive d, String why, int near) {
      StringBuilder sb = new StringBuilder();
      sb.append(file).append(':').append(d.line()).append(": ").append(d.spelling()).append(": ").append(d.pattern())
          .append("\n  ").append(why);
      if (!vars.isEmpty()) sb.append("\n  variables: ").append(vars);
      if (near >= 0) {
        sb.append("\n  output near line ").append(Math.min(near, lines.length - 1) + 1).append(":");
        int lo = Math.max(0, near - 3), hi = Math.min(lines.length, near + 6);
        for (int l = lo; l < hi; l++) sb.append(String.format("%n  %s%4d | %s", l == near ? ">" : " ", l + 1, lines[l]));
      }
      return new Failure(sb.toString());
    }
  }
}
