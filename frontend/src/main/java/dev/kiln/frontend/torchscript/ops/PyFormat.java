package dev.kiln.frontend.torchscript.ops;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.ir.Value;
import java.math.BigDecimal;
import java.util.List;

/**
 * Python's {@code str.format} with {@code {}} / {@code {0}} fields and {@code {{ }}} escapes, and Python's str/repr
 * of values known while lowering. Messages only feed RaiseException and warnings, so a value known only at run
 * time prints as {@code <%name>} rather than failing the compile.
 */
final class PyFormat {
  private PyFormat() {}

  static String format(LoweringContext cx, String fmt, List<Object> args) {
    StringBuilder sb = new StringBuilder();
    int auto = 0;
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') { sb.append('{'); i++; continue; }
      if (c == '}' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') { sb.append('}'); i++; continue; }
      if (c != '{') { sb.append(c); continue; }
      int close = fmt.indexOf('}', i);
      if (close < 0) throw cx.fail("unmatched '{' in format string '" + fmt + "'");
      String field = fmt.substring(i + 1, close);
      int colon = field.indexOf(':');
      if (colon >= 0) field = field.substring(0, colon);
      int index = field.isEmpty() ? auto++ : parseIndex(cx, field, fmt);
      if (index >= args.size()) throw cx.fail("format string '" + fmt + "' needs more than " + args.size() + " argument(s)");
      sb.append(str(args.get(index)));
      i = close;
    }
    return sb.toString();
  }

  private static int parseIndex(LoweringContext cx, String field, String fmt) {
    try {
      return Integer.parseInt(field);
    } catch (NumberFormatException e) {
      throw cx.fail("format field {" + field + "} in '" + fmt + "' is not supported (only {} and {N})");
    }
  }

  /** Python's str(): strings bare, everything else as repr. */
  static String str(Object o) { return o instanceof String s ? s : repr(o); }

  /** Python's repr() of a lowering-time value. */
  static String repr(Object o) {
    return switch (o) {
      case null -> "None";
      case Boolean b -> b ? "True" : "False";
      case Long l -> l.toString();
      case Integer i -> i.toString();
      case Double d -> floatRepr(d);
      case String s -> "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
      case PyTuple t -> join(t.items(), "(", t.size() == 1 ? ",)" : ")");
      case List<?> l -> join(l, "[", "]");
      case Value v -> "<%" + v.displayName() + ">";
      default -> o.toString();
    };
  }

  private static String join(List<?> items, String open, String close) {
    StringBuilder sb = new StringBuilder(open);
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) sb.append(", ");
      sb.append(repr(items.get(i)));
    }
    return sb.append(close).toString();
  }

  /** Python's float repr: shortest round-trip digits, exponent form below 1e-4 and from 1e16 ({@code 1e-05}). */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) return "nan";
    if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    String digits = bd.unscaledValue().abs().toString();
    int exp = digits.length() - 1 - bd.scale();
    String sign = d < 0 ? "-" : "";
    if (exp < -4 || exp >= 16) {
      String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    String plain = bd.abs().toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }
}
