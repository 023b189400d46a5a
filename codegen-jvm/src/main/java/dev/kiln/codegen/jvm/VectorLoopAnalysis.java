package dev.kiln.codegen.jvm;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Which innermost loops {@link VectorLoopEmitter} may turn into vector loops, and what it needs to know about one:
 * its f32 lets, its reduction updates, the loads that are the same for every lane. The rules are in the emitter's
 * class comment.
 */
final class VectorLoopAnalysis {
  private final String iv;
  private final Set<String> lets = new HashSet<>();
  private final List<Stmt.Assign> reductions = new ArrayList<>();
  private final Set<Expr.Load> invariantLoads = new HashSet<>();
  private boolean transcendental;

  private VectorLoopAnalysis(String iv) { this.iv = iv; }

  Set<String> lets() { return lets; }

  List<Stmt.Assign> reductions() { return reductions; }

  private static final Set<Expr.UOp> UNARY = Set.of(Expr.UOp.NEG, Expr.UOp.ABS, Expr.UOp.SQRT, Expr.UOp.EXP, Expr.UOp.TANH);
  private static final Set<Expr.BOp> BINARY = Set.of(Expr.BOp.ADD, Expr.BOp.SUB, Expr.BOp.MUL, Expr.BOp.DIV, Expr.BOp.MAX, Expr.BOp.MIN);

  /** The analysis of {@code f}, or null when it does not qualify. {@code varType} gives outer locals' types (null: unknown). */
  static VectorLoopAnalysis of(Stmt.For f, Function<String, Integer> arraySlot, Function<String, KType> bufferType, Function<String, KType> varType) {
    VectorLoopAnalysis a = new VectorLoopAnalysis(f.var());
    Map<Integer, Expr> stored = new HashMap<>();
    List<Expr.Load> loads = new ArrayList<>();
    Set<String> accs = new HashSet<>();
    for (Stmt s : f.body()) {
      switch (s) {
        case Stmt.Let l -> {
          if (l.mutable() || l.value().type() != KType.F32 || !a.vectorizable(l.value(), loads, varType)) return null;
          a.lets.add(l.name());
        }
        case Stmt.Store st -> {
          if (bufferType.apply(st.buffer()) != KType.F32 || st.value().type() != KType.F32) return null;
          Long c = a.coefficient(st.index());
          if (c == null || c != 1 || !a.vectorizable(st.value(), loads, varType)) return null;
          Expr prev = stored.putIfAbsent(arraySlot.apply(st.buffer()), st.index());
          if (prev != null && !prev.equals(st.index())) return null;
        }
        case Stmt.Assign r -> {
          if (varType.apply(r.name()) != KType.F32 || a.lets.contains(r.name()) || !accs.add(r.name())) return null;
          if (!(r.value() instanceof Expr.Binary b) || !(b.op() == Expr.BOp.ADD || b.op() == Expr.BOp.MAX || b.op() == Expr.BOp.MIN)) return null;
          if (!(b.a() instanceof Expr.Var v && v.name().equals(r.name()))) return null;
          if (!a.vectorizable(b.b(), loads, varType)) return null;
          a.reductions.add(r);
        }
        default -> {
          return null;
        }
      }
    }
    // An accumulator may be read only by its own update (the vector loop holds it as partial sums).
    for (String acc : accs) if (uses(f.body(), acc) != 1) return null;
    for (Expr.Load l : loads) {
      Expr st = stored.get(arraySlot.apply(l.buffer()));
      if (a.invariantLoads.contains(l) ? st != null : st != null && !st.equals(l.index())) return null;
    }
    return a;
  }

  /**
   * Whether the Vector API loop beats the scalar one: only loops C2's own vectorizer leaves scalar, those with a
   * reduction (float sums are not reordered) or an exp/tanh (a call per element). Plain elementwise loops (bias
   * fill, ReLU, residual add) stay scalar: C2 vectorizes them itself, and scalar code is the faster one while a
   * new model still runs interpreted (vector objects are boxed until C2 compiles the loop).
   */
  boolean worthIt() { return !reductions.isEmpty() || transcendental; }

  Expr.BOp reductionOp(Stmt.Assign r) { return ((Expr.Binary) r.value()).op(); }

  Expr reductionValue(Stmt.Assign r) { return ((Expr.Binary) r.value()).b(); }

  boolean isInvariant(Expr.Load l) { return invariantLoads.contains(l); }

  /** Whether f32 expression {@code e} has a vector form; collects its loads. */
  private boolean vectorizable(Expr e, List<Expr.Load> loads, Function<String, KType> varType) {
    return switch (e) {
      case Expr.Const c -> c.type() == KType.F32;
      case Expr.Var v -> lets.contains(v.name()) || !v.name().equals(iv) && varType.apply(v.name()) == KType.F32;
      case Expr.Load l -> {
        Long c = l.type() == KType.F32 ? coefficient(l.index()) : null;
        if (c == null || c != 0 && c != 1) yield false;
        if (c == 0) invariantLoads.add(l);
        loads.add(l);
        yield true;
      }
      case Expr.Unary u -> {
        transcendental |= u.op() == Expr.UOp.EXP || u.op() == Expr.UOp.TANH;
        yield UNARY.contains(u.op()) && u.type() == KType.F32 && vectorizable(u.a(), loads, varType);
      }
      case Expr.Binary b -> BINARY.contains(b.op()) && b.type() == KType.F32 && vectorizable(b.a(), loads, varType) && vectorizable(b.b(), loads, varType);
      case Expr.Select s -> s.cond() instanceof Expr.Binary c && c.op().isCompare() && c.a().type() == KType.F32
          && s.a().type() == KType.F32 && s.b().type() == KType.F32
          && vectorizable(c.a(), loads, varType) && vectorizable(c.b(), loads, varType)
          && vectorizable(s.a(), loads, varType) && vectorizable(s.b(), loads, varType);
      case Expr.Cast c -> c.type() == KType.F32 && (c.a().type() == KType.F32 ? vectorizable(c.a(), loads, varType) : !variant(c.a()));
    };
  }

  /**
   * The coefficient of the loop variable in int expression {@code e} when e is (invariant) + c * iv, or null when
   * it is not of that form (iv inside a division, a select, a load, a product with a non-constant...).
   */
  Long coefficient(Expr e) {
    if (!variant(e)) return 0L;
    return switch (e) {
      case Expr.Var v -> v.name().equals(iv) ? 1L : null;
      case Expr.Binary b when b.op() == Expr.BOp.ADD || b.op() == Expr.BOp.SUB -> {
        Long x = coefficient(b.a()), y = coefficient(b.b());
        yield x == null || y == null ? null : b.op() == Expr.BOp.ADD ? x + y : x - y;
      }
      case Expr.Binary b when b.op() == Expr.BOp.MUL -> {
        if (b.a() instanceof Expr.Const c) {
          Long y = coefficient(b.b());
          yield y == null ? null : (long) c.value() * y;
        }
        if (b.b() instanceof Expr.Const c) {
          Long x = coefficient(b.a());
          yield x == null ? null : (long) c.value() * x;
        }
        yield null;
      }
      default -> null;
    };
  }

  /** Whether {@code e} depends on the iteration: reads the loop variable or a let of the body. */
  boolean variant(Expr e) {
    return switch (e) {
      case Expr.Const c -> false;
      case Expr.Var v -> v.name().equals(iv) || lets.contains(v.name());
      case Expr.Load l -> variant(l.index());
      case Expr.Unary u -> variant(u.a());
      case Expr.Binary b -> variant(b.a()) || variant(b.b());
      case Expr.Select s -> variant(s.cond()) || variant(s.a()) || variant(s.b());
      case Expr.Cast c -> variant(c.a());
    };
  }

  /** The buffers {@code body} loads from or stores to, in order of first use. */
  static Set<String> buffers(List<Stmt> body) {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Stmt s : body)
      switch (s) {
        case Stmt.Let l -> buffers(l.value(), out);
        case Stmt.Assign r -> buffers(r.value(), out);
        case Stmt.Store st -> {
          buffers(st.index(), out);
          buffers(st.value(), out);
          out.add(st.buffer());
        }
        default -> {}
      }
    return out;
  }

  private static void buffers(Expr e, Set<String> out) {
    switch (e) {
      case Expr.Load l -> {
        buffers(l.index(), out);
        out.add(l.buffer());
      }
      case Expr.Unary u -> buffers(u.a(), out);
      case Expr.Binary b -> {
        buffers(b.a(), out);
        buffers(b.b(), out);
      }
      case Expr.Select s -> {
        buffers(s.cond(), out);
        buffers(s.a(), out);
        buffers(s.b(), out);
      }
      case Expr.Cast c -> buffers(c.a(), out);
      default -> {}
    }
  }

  /** The locals {@code body} reads or assigns, in order of first use. */
  static Set<String> varsRead(List<Stmt> body) {
    Set<String> out = new java.util.LinkedHashSet<>();
    for (Stmt s : body)
      switch (s) {
        case Stmt.Let l -> vars(l.value(), out);
        case Stmt.Assign r -> {
          out.add(r.name());
          vars(r.value(), out);
        }
        case Stmt.Store st -> {
          vars(st.index(), out);
          vars(st.value(), out);
        }
        default -> {}
      }
    return out;
  }

  private static void vars(Expr e, Set<String> out) {
    switch (e) {
      case Expr.Var v -> out.add(v.name());
      case Expr.Load l -> vars(l.index(), out);
      case Expr.Unary u -> vars(u.a(), out);
      case Expr.Binary b -> {
        vars(b.a(), out);
        vars(b.b(), out);
      }
      case Expr.Select s -> {
        vars(s.cond(), out);
        vars(s.a(), out);
        vars(s.b(), out);
      }
      case Expr.Cast c -> vars(c.a(), out);
      default -> {}
    }
  }

  /** How many times local {@code name} is read in {@code body}. */
  private static int uses(List<Stmt> body, String name) {
    int n = 0;
    for (Stmt s : body)
      n += switch (s) {
        case Stmt.Let l -> uses(l.value(), name);
        case Stmt.Assign r -> uses(r.value(), name);
        case Stmt.Store st -> uses(st.index(), name) + uses(st.value(), name);
        default -> 0;
      };
    return n;
  }

  private static int uses(Expr e, String name) {
    return switch (e) {
      case Expr.Const c -> 0;
      case Expr.Var v -> v.name().equals(name) ? 1 : 0;
      case Expr.Load l -> uses(l.index(), name);
      case Expr.Unary u -> uses(u.a(), name);
      case Expr.Binary b -> uses(b.a(), name) + uses(b.b(), name);
      case Expr.Select s -> uses(s.cond(), name) + uses(s.a(), name) + uses(s.b(), name);
      case Expr.Cast c -> uses(c.a(), name);
    };
  }
}
