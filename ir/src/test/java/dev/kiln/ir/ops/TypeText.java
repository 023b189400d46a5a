package dev.kiln.ir.ops;

import dev.kiln.ir.DType;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Layout;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Quant;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads type text ({@code f32[N,3,?]}, {@code qi8[4]{q=0.5:0}}, {@code qi8[2,3]{q(axis=0)=[0.1:0,0.2:1]}}, {@code tuple<int,list<f32[*]>>}) for test tables,
 * so that cases read like the IR. Test-only and independent of the real IR parser, which is tested on its own.
 */
public final class TypeText {
  private final String s;
  private int pos;

  private TypeText(String s) { this.s = s.replace(" ", ""); }

  /** One type; throws IllegalArgumentException naming the position on bad text. */
  public static Type type(String text) {
    TypeText p = new TypeText(text);
    Type t = p.parse();
    if (p.pos != p.s.length()) throw p.error("end of type");
    return t;
  }

  /** A comma-separated list of types (commas inside brackets belong to the type); "" gives an empty list. */
  public static List<Type> types(String text) {
    TypeText p = new TypeText(text);
    List<Type> out = new ArrayList<>();
    if (p.s.isEmpty()) return out;
    out.add(p.parse());
    while (p.pos < p.s.length()) {
      p.expect(",");
      out.add(p.parse());
    }
    return out;
  }

  /** The text of several results as IR writes them: one type alone, several in parentheses. */
  public static String results(List<Type> ts) {
    if (ts.size() == 1) return ts.get(0).text();
    return "(" + String.join(", ", ts.stream().map(Type::text).toList()) + ")";
  }

  private Type parse() {
    String word = word();
    switch (word) {
      case "tuple" -> {
        expect("<");
        List<Type> es = new ArrayList<>();
        if (!peek(">")) {
          es.add(parse());
          while (peek(",")) { expect(","); es.add(parse()); }
        }
        expect(">");
        return new TupleType(es);
      }
      case "list" -> { expect("<"); Type e = parse(); expect(">"); return new ListType(e); }
      case "optional" -> { expect("<"); Type e = parse(); expect(">"); return new OptionalType(e); }
      default -> { }
    }
    PrimType p = PrimType.fromText(word);
    if (p != null && !peek("[")) return p;
    DType d = DType.fromText(word);
    if (d == null) throw error("a type");
    Shape shape = shape();
    Layout layout = Layout.CONTIGUOUS;
    Quant q = null;
    if (peek("{")) {
      expect("{");
      if (peek("nhwc")) { expect("nhwc"); layout = Layout.NHWC; if (peek(",")) expect(","); }
      if (peek("q=")) {
        expect("q=");
        double scale = Double.parseDouble(until(':'));
        expect(":");
        q = Quant.perTensor(scale, Long.parseLong(until('}')));
      } else if (peek("q(axis=")) {
        expect("q(axis=");
        int axis = Integer.parseInt(until(')'));
        expect(")=[");
        List<Double> scales = new ArrayList<>();
        List<Long> zps = new ArrayList<>();
        while (!peek("]")) {
          if (!scales.isEmpty()) expect(",");
          scales.add(Double.parseDouble(until(':')));
          expect(":");
          int start = pos;
          while (pos < s.length() && s.charAt(pos) != ',' && s.charAt(pos) != ']') pos++;
          zps.add(Long.parseLong(s.substring(start, pos)));
        }
        expect("]");
        q = new Quant(axis, scales, zps);
      }
      expect("}");
    }
    return new TensorType(d, shape, layout, q);
  }

  private Shape shape() {
    expect("[");
    if (peek("*")) { expect("*"); expect("]"); return Shape.UNRANKED; }
    List<Dim> dims = new ArrayList<>();
    while (!peek("]")) {
      if (!dims.isEmpty()) expect(",");
      String w = word();
      if (w.equals("?")) dims.add(Dim.UNKNOWN);
      else if (Character.isDigit(w.charAt(0))) dims.add(Dim.of(Long.parseLong(w)));
      else dims.add(Dim.sym(w));
    }
    expect("]");
    return Shape.of(dims);
  }

  private String word() {
    int start = pos;
    if (pos < s.length() && s.charAt(pos) == '?') return s.substring(start, ++pos);
    while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_' || s.charAt(pos) == '.')) pos++;
    if (start == pos) throw error("a name");
    return s.substring(start, pos);
  }

  private String until(char c) {
    int start = pos;
    while (pos < s.length() && s.charAt(pos) != c) pos++;
    return s.substring(start, pos);
  }

  private boolean peek(String t) { return s.startsWith(t, pos); }

  private void expect(String t) {
    if (!peek(t)) throw error("'" + t + "'");
    pos += t.length();
  }

  private IllegalArgumentException error(String expected) {
    return new IllegalArgumentException("type text '" + s + "' at " + pos + ": expected " + expected);
  }
}
