package dev.kiln.frontend.script;

import java.math.BigInteger;

/** Decodes the text of number and string tokens as Python does. */
final class Literals {
  private static final BigInteger LONG_MIN_MAGNITUDE = BigInteger.valueOf(Long.MIN_VALUE).negate();

  private Literals() {}

  /**
   * Value of an INT token, negated when {@code negative}; throws at {@code pos} if it is outside
   * the 64-bit range of TorchScript's int.
   */
  static long parseInt(String text, boolean negative, SourcePos pos) {
    String digits = text.replace("_", "");
    int radix = 10;
    if (digits.length() > 1 && digits.charAt(0) == '0' && Character.isLetter(digits.charAt(1))) {
      radix = switch (Character.toLowerCase(digits.charAt(1))) {
        case 'x' -> 16;
        case 'o' -> 8;
        default -> 2;
      };
      digits = digits.substring(2);
    }
    BigInteger magnitude = new BigInteger(digits, radix);
    BigInteger limit = negative ? LONG_MIN_MAGNITUDE : BigInteger.valueOf(Long.MAX_VALUE);
    if (magnitude.compareTo(limit) > 0) {
      throw new ScriptSyntaxException(pos, "integer literal " + (negative ? "-" : "") + text
          + " does not fit in 64 bits");
    }
    return negative ? magnitude.negate().longValue() : magnitude.longValue();
  }

  /** Value of a FLOAT token ({@code 1.}, {@code .5}, {@code 1e-5}, {@code 1_000.0}). */
  static double parseFloat(String text) {
    return Double.parseDouble(text.replace("_", ""));
  }

  /**
   * Contents of a STRING token: strips the prefix and quotes and decodes escapes (none for raw
   * {@code r"..."} strings). Unknown escapes keep their backslash, as in Python.
   */
  static String parseString(String token, SourcePos pos) {
    boolean raw = false;
    int start = 0;
    while (Character.isLetter(token.charAt(start))) {
      raw |= Character.toLowerCase(token.charAt(start)) == 'r';
      start++;
    }
    int quote = token.startsWith("'''", start) || token.startsWith("\"\"\"", start) ? 3 : 1;
    String body = token.substring(start + quote, token.length() - quote);
    return raw ? body : unescape(body, pos);
  }

  private static String unescape(String s, SourcePos pos) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 == s.length()) {
        out.append(c);
        continue;
      }
      char e = s.charAt(++i);
      switch (e) {
        case '\n' -> { } // backslash-newline continues the string on the next line
        case '\r' -> { if (i + 1 < s.length() && s.charAt(i + 1) == '\n') i++; }
        case '\\', '\'', '"' -> out.append(e);
        case 'a' -> out.append('\u0007');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'v' -> out.append('\u000b');
        case 'x' -> i = appendCode(out, s, i + 1, 2, pos) - 1;
        case 'u' -> i = appendCode(out, s, i + 1, 4, pos) - 1;
        case 'U' -> i = appendCode(out, s, i + 1, 8, pos) - 1;
        default -> {
          if (e >= '0' && e <= '7') {
            int end = i;
            while (end < s.length() && end < i + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') end++;
            out.append((char) Integer.parseInt(s.substring(i, end), 8));
            i = end - 1;
          } else {
            out.append('\\').append(e);
          }
        }
      }
    }
    return out.toString();
  }

  /** Appends the code point of {@code digits} hex digits at {@code from}; returns the index after them. */
  private static int appendCode(StringBuilder out, String s, int from, int digits, SourcePos pos) {
    int end = from + digits;
    String hex = end <= s.length() ? s.substring(from, end) : "";
    if (hex.length() != digits || !hex.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      throw new ScriptSyntaxException(pos, "bad escape in string literal: expected " + digits + " hex digits");
    }
    int code = Integer.parseInt(hex, 16);
    if (!Character.isValidCodePoint(code)) {
      throw new ScriptSyntaxException(pos, "bad escape in string literal: \\U" + hex + " is not a code point");
    }
    out.appendCodePoint(code);
    return end;
  }
}
