package dev.kiln.codegen.llvm.backend;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kernel IR facts the threaded emission ({@link ThreadedBody}) decides with: which storages a statement reads and
 * writes, a rough cost, and whether the iterations of a loop may run on different threads. Pure analysis, no LLVM.
 *
 * <p>A loop is <b>parallel</b> when its iterations touch disjoint elements of every storage written inside it: every
 * access (load or store, GEMM C window) to such a storage is affine in the loop variables, all of them have the same
 * non-zero coefficient {@code c} for the split variable and the same terms in variables defined outside the loop, and
 * no two accesses of different iterations can meet (each covers an interval, from its other terms over the inner
 * loops' ranges, moved by {@code c} per iteration; Winograd's 36 planes of one loop are far apart, for instance). GEMM A and B must not be
 * written in the loop; a convolution inside makes it not parallel; the im2col scratch {@link ConvExpansion#COL} is
 * per thread, so it does not count. Mutable locals declared outside the loop and assigned inside make it not
 * parallel (they are per thread). Splitting such a loop never splits a reduction: each output element is computed by
 * one thread in the sequential order, so results do not depend on the thread count.
 */
final class ThreadSplit {
  private ThreadSplit() {}

  /** Storages a statement reads ({@code reads}) and writes ({@code writes}), {@link ConvExpansion#COL} excluded. */
  record Access(Set<String> reads, Set<String> writes) {
    static Access of(KernelProgram p, List<Stmt> body) {
      Access a = new Access(new HashSet<>(), new HashSet<>());
      for (Stmt s : body) a.add(p, s);
      return a;
    }

    boolean writesShared() { return !writes.isEmpty(); }

    private void add(KernelProgram p, Stmt s) {
      switch (s) {
        case Stmt.For f -> { for (Stmt b : f.body()) add(p, b); }
        case Stmt.Let l -> expr(p, l.value());
        case Stmt.Assign a -> expr(p, a.value());
        case Stmt.Store st -> { write(p, st.buffer()); expr(p, st.index()); expr(p, st.value()); }
        case Stmt.Gemm g -> {
          read(p, g.a()); read(p, g.b()); read(p, g.c()); write(p, g.c());
          expr(p, g.offA()); expr(p, g.offB()); expr(p, g.offC());
        }
        case Stmt.Conv c -> {
          read(p, c.x()); read(p, c.weight()); if (c.bias() != null) read(p, c.bias()); write(p, c.y());
        }
        case Stmt.CallReference r -> { r.inputs().forEach(n -> read(p, n)); r.outputs().forEach(n -> write(p, n)); }
      }
    }

    private void expr(KernelProgram p, Expr e) {
      switch (e) {
        case Expr.Load l -> { read(p, l.buffer()); expr(p, l.index()); }
        case Expr.Unary u -> expr(p, u.a());
        case Expr.Binary b -> { expr(p, b.a()); expr(p, b.b()); }
        case Expr.Select s -> { expr(p, s.cond()); expr(p, s.a()); expr(p, s.b()); }
        case Expr.Cast c -> expr(p, c.a());
        default -> {}
      }
    }

    private void read(KernelProgram p, String b) { if (!b.equals(ConvExpansion.COL)) reads.add(p.storageOf(b).name()); }

    private void write(KernelProgram p, String b) { if (!b.equals(ConvExpansion.COL)) writes.add(p.storageOf(b).name()); }
  }

  /** Rough cost: loop trip counts times statements, GEMMs m·n·k, convolutions their multiply-adds. */
  static long work(List<Stmt> body) {
    long w = 0;
    for (Stmt s : body) {
      w += switch (s) {
        case Stmt.For f -> (long) f.extent() * Math.max(1, work(f.body()));
        case Stmt.Gemm g -> (long) g.m() * g.n() * g.k();
        case Stmt.Conv c -> {
          int[] q = c.params();
          yield (long) q[0] * q[4] * q[14] * q[15] * (q[1] / q[13]) * q[5] * q[6];
        }
        default -> 1;
      };
      if (w < 0) return Long.MAX_VALUE;
    }
    return w;
  }

  /** Whether the statement writes nothing but per-thread state (locals, the im2col scratch). */
  static boolean threadLocal(KernelProgram p, Stmt s) {
    return !Access.of(p, List.of(s)).writesShared() && !(s instanceof Stmt.Assign);
  }

  /**
   * Rows of a GEMM's A per iteration of {@code f} when {@code f} fills the im2col scratch that the GEMM then reads as
   * row-major A ([pixel][kdim], channels-last convolution): {@code f}'s iteration r writes exactly rows
   * [r·R, (r+1)·R) (every scratch store affine with coefficient R·lda for f's variable, the rest within one row block),
   * so a thread may fill only the rows its share of the GEMM reads. 0 when the pattern does not hold.
   */
  static int rowsPerIteration(KernelProgram p, Stmt.For f, Stmt.Gemm g) {
    if (!g.a().equals(ConvExpansion.COL) || g.transA() || g.m() % f.extent() != 0 || !threadLocal(p, f)) return 0;
    if (!(g.offA() instanceof Expr.Const c0) || c0.value() != 0) return 0;
    long rows = g.m() / f.extent(), block = rows * g.lda();
    Scan scan = new Scan(p, f.var());
    scan.inner.put(f.var(), (long) f.extent());
    scan.colStores = true;
    if (!scan.stmts(f.body())) return 0;
    boolean any = false;
    for (Acc a : scan.accesses) {
      if (!a.storage.equals(ConvExpansion.COL)) continue;
      any = true;
      if (a.form == null || a.form.terms.getOrDefault(f.var(), 0L) != block) return 0;
      long min = a.form.constant, max = a.form.constant;
      for (Map.Entry<String, Long> t : a.form.terms.entrySet()) {
        if (t.getKey().equals(f.var())) continue;
        Long ext = scan.inner.get(t.getKey());
        if (ext == null) return 0;
        if (t.getValue() > 0) max += t.getValue() * (ext - 1);
        else min += t.getValue() * (ext - 1);
      }
      if (min < 0 || max >= block) return 0;
    }
    return any ? (int) rows : 0;
  }

  /** Whether the iterations of {@code f} may run on different threads (class comment). */
  static boolean parallel(KernelProgram p, Stmt.For f) {
    if (f.extent() < 2) return false;
    Scan scan = new Scan(p, f.var());
    scan.inner.put(f.var(), (long) f.extent());
    if (!scan.stmts(f.body())) return false;
    Set<String> written = new HashSet<>();
    for (Acc a : scan.accesses) if (a.write) written.add(a.storage);
    for (String storage : written) {
      Long coeff = null;
      Map<String, Long> outer = null;
      List<long[]> ranges = new ArrayList<>();
      for (Acc a : scan.accesses) {
        if (!a.storage.equals(storage)) continue;
        if (a.form == null || a.gemmOperand) return false;
        long c = a.form.terms.getOrDefault(f.var(), 0L);
        if (c == 0 || (coeff != null && c != coeff)) return false;
        coeff = c;
        Map<String, Long> out = new HashMap<>();
        long min = a.form.constant, max = a.form.constant + a.span;
        for (Map.Entry<String, Long> t : a.form.terms.entrySet()) {
          if (t.getKey().equals(f.var())) continue;
          Long ext = scan.inner.get(t.getKey());
          if (ext == null) out.put(t.getKey(), t.getValue());
          else if (t.getValue() > 0) max += t.getValue() * (ext - 1);
          else min += t.getValue() * (ext - 1);
        }
        if (outer != null && !outer.equals(out)) return false;
        outer = out;
        ranges.add(new long[] {min, max});
      }
      if (!disjoint(ranges, Math.abs(coeff), f.extent())) return false;
    }
    return true;
  }

  /**
   * Whether iterations v1 != v2 (in [0, extent)) never touch one element: access a of v1 covers
   * [c·v1 + lo_a, c·v1 + hi_a], so they collide when some hi/lo difference interval of two accesses holds a non-zero
   * multiple k·c with |k| < extent.
   */
  private static boolean disjoint(List<long[]> ranges, long c, int extent) {
    for (long[] a : ranges)
      for (long[] b : ranges) {
        long lo = b[0] - a[1], hi = b[1] - a[0];
        long kmin = Math.max(Math.floorDiv(lo + c - 1, c), -(extent - 1)), kmax = Math.min(Math.floorDiv(hi, c), extent - 1);
        for (long k = kmin; k <= kmax; k++) if (k != 0) return false;
      }
    return true;
  }

  /** An index as {@code constant + sum(terms[v] * v)}. */
  record Affine(long constant, Map<String, Long> terms) {
    Affine plus(Affine o, long sign) {
      Map<String, Long> t = new HashMap<>(terms);
      o.terms.forEach((k, v) -> t.merge(k, sign * v, Long::sum));
      t.values().removeIf(v -> v == 0);
      return new Affine(constant + sign * o.constant, t);
    }

    Affine times(long k) {
      Map<String, Long> t = new HashMap<>();
      terms.forEach((n, v) -> { if (v * k != 0) t.put(n, v * k); });
      return new Affine(constant * k, t);
    }
  }

  /** One access: its storage, affine index (null when not affine) and the extra elements past it (GEMM windows). */
  private record Acc(String storage, Affine form, long span, boolean write, boolean gemmOperand) {}

  /** Collects the accesses of a loop body; false when something makes the loop not parallel outright. */
  private static final class Scan {
    final KernelProgram p;
    final Map<String, Long> inner = new HashMap<>();
    final Map<String, Affine> lets = new HashMap<>();
    final Set<String> opaque = new HashSet<>();
    final Set<String> localVars = new HashSet<>();
    final List<Acc> accesses = new ArrayList<>();
    /** Record stores to the scratch too (as storage {@link ConvExpansion#COL}). */
    boolean colStores;

    Scan(KernelProgram p, String var) { this.p = p; }

    boolean stmts(List<Stmt> body) {
      for (Stmt s : body) if (!stmt(s)) return false;
      return true;
    }

    boolean stmt(Stmt s) {
      switch (s) {
        case Stmt.For f -> {
          inner.put(f.var(), (long) f.extent());
          return stmts(f.body());
        }
        case Stmt.Let l -> {
          loads(l.value());
          if (l.mutable()) { localVars.add(l.name()); opaque.add(l.name()); }
          else {
            Affine a = affine(l.value());
            if (a == null) opaque.add(l.name());
            else lets.put(l.name(), a);
          }
          return true;
        }
        case Stmt.Assign a -> {
          loads(a.value());
          return localVars.contains(a.name());
        }
        case Stmt.Store st -> {
          loads(st.index());
          loads(st.value());
          if (!st.buffer().equals(ConvExpansion.COL))
            accesses.add(new Acc(p.storageOf(st.buffer()).name(), affine(st.index()), 0, true, false));
          else if (colStores) accesses.add(new Acc(ConvExpansion.COL, affine(st.index()), 0, true, false));
          return true;
        }
        case Stmt.Gemm g -> {
          operand(g.a(), g.offA());
          operand(g.b(), g.offB());
          if (!g.c().equals(ConvExpansion.COL))
            accesses.add(new Acc(p.storageOf(g.c()).name(), affine(g.offC()), (long) (g.m() - 1) * g.ldc() + g.n() - 1, true, false));
          return true;
        }
        default -> { return false; }
      }
    }

    private void operand(String buffer, Expr off) {
      loads(off);
      if (!buffer.equals(ConvExpansion.COL)) accesses.add(new Acc(p.storageOf(buffer).name(), null, 0, false, true));
    }

    private void loads(Expr e) {
      switch (e) {
        case Expr.Load l -> {
          loads(l.index());
          if (!l.buffer().equals(ConvExpansion.COL))
            accesses.add(new Acc(p.storageOf(l.buffer()).name(), affine(l.index()), 0, false, false));
        }
        case Expr.Unary u -> loads(u.a());
        case Expr.Binary b -> { loads(b.a()); loads(b.b()); }
        case Expr.Select s -> { loads(s.cond()); loads(s.a()); loads(s.b()); }
        case Expr.Cast c -> loads(c.a());
        default -> {}
      }
    }

    /** The affine form of an integer expression, or null. Variables defined outside the loop stay symbolic. */
    private Affine affine(Expr e) {
      return switch (e) {
        case Expr.Const c -> c.type() == dev.kiln.ir.kernel.KType.F32 ? null : new Affine((long) c.value(), Map.of());
        case Expr.Var v -> opaque.contains(v.name()) ? null
            : lets.containsKey(v.name()) ? lets.get(v.name()) : new Affine(0, Map.of(v.name(), 1L));
        case Expr.Cast c -> c.type() == dev.kiln.ir.kernel.KType.F32 || c.a().type() == dev.kiln.ir.kernel.KType.F32 ? null : affine(c.a());
        case Expr.Binary b when b.op() == Expr.BOp.ADD || b.op() == Expr.BOp.SUB -> {
          Affine x = affine(b.a()), y = affine(b.b());
          yield x == null || y == null ? null : x.plus(y, b.op() == Expr.BOp.ADD ? 1 : -1);
        }
        case Expr.Binary b when b.op() == Expr.BOp.MUL -> {
          Affine x = affine(b.a()), y = affine(b.b());
          if (x == null || y == null) yield null;
          if (x.terms.isEmpty()) yield y.times(x.constant);
          if (y.terms.isEmpty()) yield x.times(y.constant);
          yield null;
        }
        default -> null;
      };
    }
  }
}
