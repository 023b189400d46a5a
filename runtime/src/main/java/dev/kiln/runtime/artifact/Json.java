package dev.kiln.runtime.artifact;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer for manifests (and for samples that want one without a dependency).
 * Values map to Java as: object = {@code Map<String, Object>} (insertion-ordered, read-only when parsed), array =
 * {@code List<Object>}, string = String, number = Long when it has no fraction or exponent and fits, else Double,
 * true/false = Boolean, null = null.
 *
 * <p>The reader rejects what a lenient reader would guess at: trailing commas, duplicate keys, comments, leading
 * zeros, control characters in strings, nesting deeper than {@value #MAX_DEPTH}, and text after the value. Errors are
 * {@link IllegalArgumentException}s whose message starts {@code sourceName:line:col: }.
 */
public final class Json {
  /** Objects and arrays nest at most this deep; deeper input is refused rather than recursed into. */
  public static final int MAX_DEPTH = 64;

  private final String text;
  private final String source;
  private int pos;

  private Json(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /**
   * Parses one JSON value.
   *
   * @param text the JSON text, not null
   * @param sourceName used at the start of error messages (a file name), not null
   * @throws IllegalArgumentException {@code sourceName:line:col: expected ...}
   */
  public static Object parse(String text, String sourceName) {
    Json p = new Json(text, sourceName);
    p.skipSpace();
    Object v = p.value(0);
    p.skipSpace();
    if (p.pos < text.length()) throw p.error("expected end of input after the value");
    return v;
  }

  /** Writes {@code value} (the kinds listed above; Integer, Float and other Numbers too) with two-space indents. */
  public static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  // ---- writer

  private static void write(StringBuilder sb, Object v, int indent) {
    switch (v) {
      case null -> sb.append("null");
      case String s -> quote(sb, s);
      case Boolean b -> sb.append(b);
      case Double d -> sb.append(number(d));
      case Float f -> sb.append(number(f.doubleValue()));
      case Number n -> sb.append(n.longValue());
      case Map<?, ?> m -> {
        if (m.isEmpty()) { sb.append("{}"); return; }
        sb.append("{\n");
        int i = 0;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          sb.repeat(' ', indent + 2);
          quote(sb, String.valueOf(e.getKey()));
          sb.append(": ");
          write(sb, e.getValue(), indent + 2);
          sb.append(++i < m.size() ? ",\n" : "\n");
        }
        sb.repeat(' ', indent).append('}');
      }
      case List<?> l -> {
        // Arrays of scalars stay on one line (shapes, sizes); arrays of objects get a line each.
        boolean flat = l.stream().noneMatch(x -> x instanceof Map || x instanceof List);
        if (flat || l.isEmpty()) {
          sb.append('[');
          for (int i = 0; i < l.size(); i++) { if (i > 0) sb.append(", "); write(sb, l.get(i), indent); }
          sb.append(']');
          return;
        }
        sb.append("[\n");
        for (int i = 0; i < l.size(); i++) {
          sb.repeat(' ', indent + 2);
          write(sb, l.get(i), indent + 2);
          sb.append(i + 1 < l.size() ? ",\n" : "\n");
        }
        sb.repeat(' ', indent).append(']');
      }
      default -> throw new IllegalArgumentException("cannot write a " + v.getClass().getName() + " as JSON");
    }
  }

  private static String number(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) throw new IllegalArgumentException("JSON has no " + d);
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
    return Double.toString(d);
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  // ---- reader

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
    if (pos >= text.length()) throw error("expected a value, got end of input");
    char c = text.charAt(pos);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> literal("true", Boolean.TRUE);
      case 'f' -> literal("false", Boolean.FALSE);
      case 'n' -> literal("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) yield number();
        throw error("expected a value, got '" + c + "'");
      }
    };
  }

  private Map<String, Object> object(int depth) {
    pos++; // {
    Map<String, Object> m = new LinkedHashMap<>();
    skipSpace();
    if (peek('}')) { pos++; return Collections.unmodifiableMap(m); }
    while (true) {
      skipSpace();
      if (!peek('"')) throw error("expected a string key");
      int keyPos = pos;
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      Object v = value(depth + 1);
      if (m.containsKey(key)) { pos = keyPos; throw error("duplicate key \"" + key + "\""); }
      m.put(key, v);
      skipSpace();
      if (peek(',')) { pos++; continue; }
      expect('}');
      return Collections.unmodifiableMap(m);
    }
  }

  private List<Object> array(int depth) {
    pos++; // [
    List<Object> l = new ArrayList<>();
    skipSpace();
    if (peek(']')) { pos++; return Collections.unmodifiableList(l); }
    while (true) {
      skipSpace();
      l.add(value(depth + 1));
      skipSpace();
      if (peek(',')) { pos++; continue; }
      expect(']');
      return Collections.unmodifiableList(l);
    }
  }

  private String string() {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) throw error("unterminated string");
      char c = text.charAt(pos++);
      if (c == '"') return sb.toString();
      if (c < 0x20) { pos--; throw error("control character in a string (write it as \\u escape)"); }
      if (c != '\\') { sb.append(c); continue; }
      if (pos >= text.length()) throw error("unterminated escape");
      char e = text.charAt(pos++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (pos + 4 > text.length()) throw error("expected 4 hex digits after \\u");
          int cp = 0;
          for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) { pos += i; throw error("expected a hex digit in \\u escape"); }
            cp = cp * 16 + d;
          }
          pos += 4;
          sb.append((char) cp);
        }
        default -> { pos--; throw error("unknown escape \\" + e); }
      }
    }
  }

  private Object number() {
    int start = pos;
    if (peek('-')) pos++;
    if (peek('0')) {
      pos++;
      if (pos < text.length() && Character.isDigit(text.charAt(pos))) throw error("leading zero in a number");
    } else if (!digits()) throw error("expected a digit");
    boolean integral = true;
    if (peek('.')) { pos++; integral = false; if (!digits()) throw error("expected a digit after '.'"); }
    if (peek('e') || peek('E')) {
      pos++;
      integral = false;
      if (peek('+') || peek('-')) pos++;
      if (!digits()) throw error("expected a digit in the exponent");
    }
    String s = text.substring(start, pos);
    if (integral) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException tooBig) {
        return Double.parseDouble(s);
      }
    }
    return Double.parseDouble(s);
  }

  private boolean digits() {
    int start = pos;
    while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') pos++;
    return pos > start;
  }

  private Object literal(String word, Object v) {
    if (!text.startsWith(word, pos)) throw error("expected " + word);
    pos += word.length();
    return v;
  }

  private boolean peek(char c) { return pos < text.length() && text.charAt(pos) == c; }

  private void expect(char c) {
    if (!peek(c)) throw error("expected '" + c + "'" + (pos < text.length() ? ", got '" + text.charAt(pos) + "'" : ", got end of input"));
    pos++;
  }

  private void skipSpace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      pos++;
    }
  }

  private IllegalArgumentException error(String what) {
    int line = 1, col = 1;
    for (int i = 0; i < Math.min(pos, text.length()); i++) {
      if (text.charAt(i) == '\n') { line++; col = 1; } else col++;
    }
    return new IllegalArgumentException(source + ":" + line + ":" + col + ": " + what);
  }
}
