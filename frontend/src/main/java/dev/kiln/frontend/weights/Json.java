package dev.kiln.frontend.weights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader and writer for safetensors headers (RFC 8259; no comments, no trailing commas).
 * Objects read as {@link LinkedHashMap} (keys in file order; a repeated key is an error), arrays as {@link List},
 * integers as {@link Long}, other numbers as {@link Double}, and {@code null} as null.
 */
final class Json {
  private static final int MAX_DEPTH = 64;

  private final String s;
  private final String source;
  private int i;

  private Json(String s, String source) {
    this.s = s;
    this.source = source;
  }

  /** @throws WeightsException naming {@code source} and the character offset */
  static Object parse(String text, String source) {
    Json j = new Json(text, source);
    j.ws();
    Object v = j.value(0);
    j.ws();
    if (j.i != text.length()) throw j.fail("unexpected '" + text.charAt(j.i) + "' after the JSON value");
    return v;
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw fail("nesting deeper than " + MAX_DEPTH);
    if (i >= s.length()) throw fail("unexpected end, expected a value");
    char c = s.charAt(i);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> word("true", Boolean.TRUE);
      case 'f' -> word("false", Boolean.FALSE);
      case 'n' -> word("null", null);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) yield number();
        throw fail("unexpected '" + c + "', expected a value");
      }
    };
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (peek('}')) { i++; return m; }
    while (true) {
      ws();
      if (!peek('"')) throw fail("expected a string key");
      int at = i;
      String k = string();
      ws();
      expect(':');
      ws();
      if (m.containsKey(k)) { i = at; throw fail("key \"" + k + "\" appears twice"); }
      m.put(k, value(depth + 1));
      ws();
      if (peek(',')) { i++; continue; }
      expect('}');
      return m;
    }
  }

  private List<Object> array(int depth) {
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (peek(']')) { i++; return l; }
    while (true) {
      ws();
      l.add(value(depth + 1));
      ws();
      if (peek(',')) { i++; continue; }
      expect(']');
      return l;
    }
  }

  private String string() {
    i++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (i >= s.length()) throw fail("unterminated string");
      char c = s.charAt(i++);
      if (c == '"') return sb.toString();
      if (c < 0x20) { i--; throw fail("control character in string"); }
      if (c != '\\') { sb.append(c); continue; }
      if (i >= s.length()) throw fail("unterminated escape");
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> sb.append(e);
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> {
          if (i + 4 > s.length()) throw fail("short \\u escape");
          try {
            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          } catch (NumberFormatException x) {
            throw fail("bad \\u escape");
          }
          i += 4;
        }
        default -> { i--; throw fail("bad escape '\\" + e + "'"); }
      }
    }
  }

  private Object number() {
    int start = i;
    if (peek('-')) i++;
    digits();
    boolean integral = true;
    if (peek('.')) { integral = false; i++; digits(); }
    if (peek('e') || peek('E')) {
      integral = false;
      i++;
      if (peek('+') || peek('-')) i++;
      digits();
    }
    String t = s.substring(start, i);
    try {
      return integral ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
    } catch (NumberFormatException x) {
      i = start;
      throw fail("number " + t + " is out of range");
    }
  }

  private void digits() {
    int start = i;
    while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
    if (i == start) throw fail("expected a digit");
  }

  private Object word(String w, Object v) {
    if (!s.startsWith(w, i)) throw fail("unexpected '" + s.charAt(i) + "', expected a value");
    i += w.length();
    return v;
  }

  private boolean peek(char c) { return i < s.length() && s.charAt(i) == c; }

  private void expect(char c) {
    if (!peek(c)) throw fail(i < s.length() ? "expected '" + c + "', got '" + s.charAt(i) + "'" : "unexpected end, expected '" + c + "'");
    i++;
  }

  private void ws() {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) i++;
  }

  private WeightsException fail(String what) { return new WeightsException(source + ": JSON header at offset " + i + ": " + what); }

  /** Writes a string, number, list or map (string keys) as compact JSON. */
  static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    write(v, sb);
    return sb.toString();
  }

  private static void write(Object v, StringBuilder sb) {
    switch (v) {
      case null -> sb.append("null");
      case String str -> {
        sb.append('"');
        for (char c : str.toCharArray()) {
          if (c == '"' || c == '\\') sb.append('\\').append(c);
          else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
        sb.append('"');
      }
      case Map<?, ?> m -> {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) sb.append(',');
          first = false;
          write(String.valueOf(e.getKey()), sb);
          sb.append(':');
          write(e.getValue(), sb);
        }
        sb.append('}');
      }
      case List<?> l -> {
        sb.append('[');
        for (int k = 0; k < l.size(); k++) {
          if (k > 0) sb.append(',');
          write(l.get(k), sb);
        }
        sb.append(']');
      }
      default -> sb.append(v);
    }
  }
}
