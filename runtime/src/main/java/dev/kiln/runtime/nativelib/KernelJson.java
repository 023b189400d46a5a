package dev.kiln.runtime.nativelib;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kernel IR as JSON values ({@code dev.kiln.runtime.artifact.Json}'s maps and lists), for the kernels an llvm
 * artifact runs on the JVM. Exact: constants are written as Java's shortest round-tripping decimal in a string (so
 * NaN and infinities survive), and {@code decode(encode(k))} equals {@code k}. A statement or expression is an array
 * whose first element says what it is:
 *
 * <pre>
 * ["for", var, extent, [stmt...]]   ["let", name, expr, mutable]   ["assign", name, expr]   ["store", buf, index, value]
 * ["gemm", transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc]
 * ["conv", [16 ints], nhwc, x, weight, bias-or-null, y]          ["ref", k, [inputs], [outputs]]
 * ["c", type, "1.5"]   ["v", name, type]   ["ld", buf, type, index]   ["u", op, a]   ["b", op, a, b]
 * ["sel", cond, a, b]  ["cast", type, a]
 * </pre>
 *
 * Decoding throws {@link IllegalArgumentException} saying what was expected where (a JSON path such as
 * {@code body[2][3][0]}).
 */
public final class KernelJson {
  private KernelJson() {}

  public static Map<String, Object> encode(Kernel k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", k.name());
    m.put("params", k.params());
    if (k.origin() != null) m.put("origin", k.origin());
    m.put("body", stmts(k.body()));
    return m;
  }

  private static List<Object> stmts(List<Stmt> body) {
    List<Object> out = new ArrayList<>();
    for (Stmt s : body) out.add(stmt(s));
    return out;
  }

  private static List<Object> stmt(Stmt s) {
    return switch (s) {
      case Stmt.For f -> List.of("for", f.var(), f.extent(), stmts(f.body()));
      case Stmt.Let l -> List.of("let", l.name(), expr(l.value()), l.mutable());
      case Stmt.Assign a -> List.of("assign", a.name(), expr(a.value()));
      case Stmt.Store st -> List.of("store", st.buffer(), expr(st.index()), expr(st.value()));
      case Stmt.Gemm g -> List.of("gemm", g.transA(), g.transB(), g.m(), g.n(), g.k(), Float.toString(g.alpha()), g.a(),
          expr(g.offA()), g.lda(), g.b(), expr(g.offB()), g.ldb(), Float.toString(g.beta()), g.c(), expr(g.offC()), g.ldc());
      case Stmt.Conv c -> {
        List<Object> q = new ArrayList<>();
        for (int v : c.params()) q.add(v);
        List<Object> out = new ArrayList<>(List.of("conv", q, c.nhwc(), c.x(), c.weight()));
        out.add(c.bias()); // may be null
        out.add(c.y());
        yield out;
      }
      case Stmt.CallReference r -> List.of("ref", r.ref(), r.inputs(), r.outputs());
    };
  }

  static List<Object> expr(Expr e) {
    return switch (e) {
      case Expr.Const c -> List.of("c", c.type().text(), Double.toString(c.value()));
      case Expr.Var v -> List.of("v", v.name(), v.type().text());
      case Expr.Load l -> List.of("ld", l.buffer(), l.type().text(), expr(l.index()));
      case Expr.Unary u -> List.of("u", u.op().text(), expr(u.a()));
      case Expr.Binary b -> List.of("b", b.op().text(), expr(b.a()), expr(b.b()));
      case Expr.Select s -> List.of("sel", expr(s.cond()), expr(s.a()), expr(s.b()));
      case Expr.Cast c -> List.of("cast", c.type().text(), expr(c.a()));
    };
  }

  /**
   * @param json a value {@link #encode} made (after a JSON round trip)
   * @param at where it sits, for messages
   */
  public static Kernel decode(Object json, String at) {
    Map<?, ?> m = Read.object(json, at);
    String name = Read.string(m.get("name"), at + ".name");
    List<String> params = Read.strings(m.get("params"), at + ".params");
    Object origin = m.get("origin");
    return new Kernel(name, params, stmts(m.get("body"), at + ".body"), origin == null ? null : Read.string(origin, at + ".origin"));
  }

  private static List<Stmt> stmts(Object json, String at) {
    List<?> l = Read.array(json, at);
    List<Stmt> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) out.add(stmt(l.get(i), at + "[" + i + "]"));
    return out;
  }

  private static Stmt stmt(Object json, String at) {
    List<?> a = Read.array(json, at);
    String tag = a.isEmpty() ? "" : Read.string(a.get(0), at + "[0]");
    Read.Args r = new Read.Args(a, at);
    try {
      return switch (tag) {
        case "for" -> new Stmt.For(r.str(1), r.integer(2), stmts(r.get(3), at + "[3]"));
        case "let" -> new Stmt.Let(r.str(1), expr(r.get(2), at + "[2]"), r.bool(3));
        case "assign" -> new Stmt.Assign(r.str(1), expr(r.get(2), at + "[2]"));
        case "store" -> new Stmt.Store(r.str(1), expr(r.get(2), at + "[2]"), expr(r.get(3), at + "[3]"));
        case "gemm" -> new Stmt.Gemm(r.bool(1), r.bool(2), r.integer(3), r.integer(4), r.integer(5), r.f32(6), r.str(7),
            expr(r.get(8), at + "[8]"), r.integer(9), r.str(10), expr(r.get(11), at + "[11]"), r.integer(12), r.f32(13),
            r.str(14), expr(r.get(15), at + "[15]"), r.integer(16));
        case "conv" -> {
          List<?> q = Read.array(r.get(1), at + "[1]");
          if (q.size() != 16) throw new IllegalArgumentException(at + "[1]: expected the 16 convolution parameters, got " + q.size());
          int[] params = new int[16];
          for (int i = 0; i < 16; i++) params[i] = Read.integer(q.get(i), at + "[1][" + i + "]");
          yield new Stmt.Conv(params, r.bool(2), r.str(3), r.str(4), r.get(5) == null ? null : r.str(5), r.str(6));
        }
        case "ref" -> new Stmt.CallReference(r.integer(1), Read.strings(r.get(2), at + "[2]"), Read.strings(r.get(3), at + "[3]"));
        default -> throw new IllegalArgumentException(at + ": expected a statement (for, let, assign, store, gemm, conv, ref), got \"" + tag + "\"");
      };
    } catch (IllegalArgumentException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(at) ? e : new IllegalArgumentException(at + ": " + e.getMessage(), e);
    }
  }

  static Expr expr(Object json, String at) {
    List<?> a = Read.array(json, at);
    String tag = a.isEmpty() ? "" : Read.string(a.get(0), at + "[0]");
    Read.Args r = new Read.Args(a, at);
    try {
      return switch (tag) {
        case "c" -> new Expr.Const(r.type(1), r.number(2));
        case "v" -> new Expr.Var(r.str(1), r.type(2));
        case "ld" -> new Expr.Load(r.str(1), r.type(2), expr(r.get(3), at + "[3]"));
        case "u" -> new Expr.Unary(Expr.UOp.valueOf(r.op(1)), expr(r.get(2), at + "[2]"));
        case "b" -> new Expr.Binary(Expr.BOp.valueOf(r.op(1)), expr(r.get(2), at + "[2]"), expr(r.get(3), at + "[3]"));
        case "sel" -> new Expr.Select(expr(r.get(1), at + "[1]"), expr(r.get(2), at + "[2]"), expr(r.get(3), at + "[3]"));
        case "cast" -> new Expr.Cast(r.type(1), expr(r.get(2), at + "[2]"));
        default -> throw new IllegalArgumentException(at + ": expected an expression (c, v, ld, u, b, sel, cast), got \"" + tag + "\"");
      };
    } catch (IllegalArgumentException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(at) ? e : new IllegalArgumentException(at + ": " + e.getMessage(), e);
    }
  }

  static KType type(String text, String at) {
    for (KType t : KType.values()) if (t.text().equals(text)) return t;
    throw new IllegalArgumentException(at + ": expected a Kernel IR type (f32, i64, bool, int, obj), got \"" + text + "\"");
  }

  /** Typed reads of parsed JSON that say what was expected where. */
  static final class Read {
    private Read() {}

    static Map<?, ?> object(Object v, String at) {
      if (v instanceof Map<?, ?> m) return m;
      throw new IllegalArgumentException(at + ": expected an object");
    }

    static List<?> array(Object v, String at) {
      if (v instanceof List<?> l) return l;
      throw new IllegalArgumentException(at + ": expected an array");
    }

    static String string(Object v, String at) {
      if (v instanceof String s) return s;
      throw new IllegalArgumentException(at + ": expected a string");
    }

    static int integer(Object v, String at) {
      if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) (long) l;
      throw new IllegalArgumentException(at + ": expected a 32-bit integer");
    }

    static long longValue(Object v, String at) {
      if (v instanceof Long l) return l;
      throw new IllegalArgumentException(at + ": expected an integer");
    }

    static List<String> strings(Object v, String at) {
      List<?> l = array(v, at);
      List<String> out = new ArrayList<>();
      for (int i = 0; i < l.size(); i++) out.add(string(l.get(i), at + "[" + i + "]"));
      return out;
    }

    /** Positional elements of a statement or expression array. */
    record Args(List<?> a, String at) {
      Object get(int i) {
        if (i >= a.size()) throw new IllegalArgumentException(at + ": expected at least " + (i + 1) + " elements, got " + a.size());
        return a.get(i);
      }

      String str(int i) { return string(get(i), at + "[" + i + "]"); }

      int integer(int i) { return Read.integer(get(i), at + "[" + i + "]"); }

      boolean bool(int i) {
        if (get(i) instanceof Boolean b) return b;
        throw new IllegalArgumentException(at + "[" + i + "]: expected true or false");
      }

      KType type(int i) { return KernelJson.type(str(i), at + "[" + i + "]"); }

      String op(int i) { return str(i).toUpperCase(java.util.Locale.ROOT); }

      double number(int i) {
        try {
          return Double.parseDouble(str(i));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(at + "[" + i + "]: expected a number in a string, got \"" + str(i) + "\"");
        }
      }

      float f32(int i) { return (float) number(i); }
    }
  }
}
