package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A loop whose iterations are independent lanes, emitted with explicit vectors over it ("outer-loop vectorization"):
 * the channel loop of channels-last pooling ({@code for c { var acc; for kh { for kw { acc := max(acc, x[.. + c]) } }
 * store y[.. + c], acc }}) and of adaptive average pooling, where the window loops inside keep the loop vectorizer
 * (which works on innermost loops) away. Each step of {@link #unroll} vectors of {@code lanes} iterations runs the body
 * once (its scalar work, such as window bounds and indexes, shared by the vectors) with every value that depends on
 * the loop variable as that many vectors: loads and stores whose index is {@code invariant + c} become vector
 * loads and stores (masked in the last, partial step), float arithmetic lane-wise, everything else stays scalar and
 * is broadcast where a vector needs it. Each lane computes exactly what its scalar iteration did, in the same order,
 * so results are bit-identical to the scalar loop.
 *
 * <p>Taken when ({@link #applies}) the loop is not innermost (it holds a loop) and its body is lets, float
 * accumulators, constant loops and stores; every value depending on the loop variable is f32 (integers only in
 * indexes, where the loop variable has coefficient 1); the operations on vectors are {@code add sub mul div max min
 * neg}, loads, and {@code select} on a condition that does not depend on the loop variable; and no storage is both
 * stored and loaded at different indexes ({@link #carried}).
 * Off with {@code -Dkiln.llvm.fastLanes=false} or {@code -Dkiln.llvm.fastOps=false}.
 */
final class LaneLoopEmitter {
  private final KernelFunctionEmitter e;
  private final IrBuilder ib;
  private final int w;
  private final LLVMTypeRef vt;
  private final Set<String> lanes;
  private final Map<String, LLVMValueRef[]> vectors = new HashMap<>(), slots = new HashMap<>();
  /** Vectors per step and, in the last partial step, each one's lane mask (null in full steps). */
  private int u;
  private LLVMValueRef[] masks;

  private LaneLoopEmitter(KernelFunctionEmitter e, Set<String> lanes) {
    this.e = e;
    this.ib = e.ib;
    this.w = e.gemms.lanes();
    this.vt = e.m.vec(e.m.f32(), w);
    this.lanes = lanes;
  }

  static boolean enabled() { return FastOps.on("fastLanes"); }

  /** Emits {@code f} over [0, extent) when it {@link #applies}; false (nothing emitted) otherwise. */
  static boolean tryEmit(KernelFunctionEmitter e, Stmt.For f) {
    return tryEmit(e, f, e.ib.i64(0), e.ib.i64(f.extent()));
  }

  /** Emits iterations [lo, hi) of {@code f} (a thread's share) when it {@link #applies}; false otherwise. */
  static boolean tryEmit(KernelFunctionEmitter e, Stmt.For f, LLVMValueRef lo, LLVMValueRef hi) {
    Set<String> lanes = applies(e, f);
    if (lanes == null) return false;
    new LaneLoopEmitter(e, lanes).emit(f, lo, hi);
    return true;
  }

  /** The names whose values are vectors (the loop variable first), or null when the loop is not taken. */
  static Set<String> applies(KernelFunctionEmitter e, Stmt.For f) {
    int w = e.gemms.lanes();
    // Only loops that are not innermost: an innermost one is the loop vectorizer's (with its unrolling).
    if (f.extent() < w || f.body().isEmpty() || !(f.body().getLast() instanceof Stmt.Store)
        || f.body().stream().noneMatch(s -> s instanceof Stmt.For)) return null;
    Set<String> lanes = new LinkedHashSet<>(); // the loop variable first (first())
    lanes.add(f.var());
    return ok(e, f.body(), lanes, true) && !carried(e, f.body()) ? lanes : null;
  }

  /**
   * Whether the body reads a storage it writes at another index (e.g. {@code y[c - 1]}), so an iteration could
   * depend on an earlier one: vectors would read stale values. The same index (an update in place) is lane-safe.
   */
  private static boolean carried(KernelFunctionEmitter e, List<Stmt> body) {
    Map<String, Expr> stores = new HashMap<>();
    for (Stmt s : body) if (s instanceof Stmt.Store st) stores.put(e.p.storageOf(st.buffer()).name(), st.index());
    List<Expr.Load> loads = new java.util.ArrayList<>();
    collectLoads(body, loads);
    for (Expr.Load l : loads) {
      if (l.buffer().equals(ConvExpansion.COL)) return true; // the conv scratch: not ours to reason about
      Expr at = stores.get(e.p.storageOf(l.buffer()).name());
      if (at != null && !at.equals(l.index())) return true;
    }
    return false;
  }

  private static void collectLoads(List<Stmt> body, List<Expr.Load> out) {
    for (Stmt s : body) {
      switch (s) {
        case Stmt.Let l -> collectLoads(l.value(), out);
        case Stmt.Assign a -> collectLoads(a.value(), out);
        case Stmt.Store st -> collectLoads(st.value(), out);
        case Stmt.For f -> collectLoads(f.body(), out);
        default -> { }
      }
    }
  }

  private static void collectLoads(Expr x, List<Expr.Load> out) {
    switch (x) {
      case Expr.Load l -> out.add(l);
      case Expr.Unary u -> collectLoads(u.a(), out);
      case Expr.Binary b -> {
        collectLoads(b.a(), out);
        collectLoads(b.b(), out);
      }
      case Expr.Select sel -> {
        collectLoads(sel.cond(), out);
        collectLoads(sel.a(), out);
        collectLoads(sel.b(), out);
      }
      case Expr.Cast k -> collectLoads(k.a(), out);
      default -> { }
    }
  }

  private static boolean ok(KernelFunctionEmitter e, List<Stmt> body, Set<String> lanes, boolean top) {
    for (Stmt s : body) {
      switch (s) {
        case Stmt.Let l when l.mutable() -> {
          if (l.value().type() != KType.F32 || !top || !vectorOk(l.value(), lanes)) return false;
          lanes.add(l.name());
        }
        case Stmt.Let l -> {
          if (depends(l.value(), lanes)) {
            if (l.value().type() != KType.F32 || !vectorOk(l.value(), lanes)) return false;
            lanes.add(l.name());
          }
        }
        case Stmt.Assign a -> {
          if (!lanes.contains(a.name()) || !vectorOk(a.value(), lanes)) return false;
        }
        case Stmt.For f -> {
          if (!ok(e, f.body(), lanes, false)) return false;
        }
        case Stmt.Store st -> {
          if (!top || st.buffer().equals(ConvExpansion.COL) || e.p.buffer(st.buffer()).type() != KType.F32 || st.value().type() != KType.F32
              || coefficient(st.index(), first(lanes), lanes) != 1 || !vectorOk(st.value(), lanes)) return false;
        }
        default -> {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether {@code x} (f32) can be computed lane-wise. */
  private static boolean vectorOk(Expr x, Set<String> lanes) {
    if (!depends(x, lanes)) return true;
    return switch (x) {
      case Expr.Var v -> v.type() == KType.F32;
      case Expr.Load l -> l.type() == KType.F32 && !l.buffer().equals(ConvExpansion.COL) && coefficient(l.index(), first(lanes), lanes) == 1;
      case Expr.Binary b -> b.type() == KType.F32 && switch (b.op()) {
        case ADD, SUB, MUL, DIV, MAX, MIN -> vectorOk(b.a(), lanes) && vectorOk(b.b(), lanes);
        default -> false;
      };
      case Expr.Unary u -> u.op() == Expr.UOp.NEG && u.type() == KType.F32 && vectorOk(u.a(), lanes);
      case Expr.Select s -> s.type() == KType.F32 && !depends(s.cond(), lanes) && vectorOk(s.a(), lanes) && vectorOk(s.b(), lanes);
      default -> false;
    };
  }

  private static String first(Set<String> lanes) { return lanes.iterator().next(); }

  /**
   * The coefficient of the loop variable {@code c} in an integer index made of adds, subtractions and multiplications
   * by constants, 0 when it does not occur; -1 when the index is not of that form or uses another lane value.
   */
  static long coefficient(Expr x, String c, Set<String> lanes) {
    if (!depends(x, lanes)) return 0;
    return switch (x) {
      case Expr.Var v -> v.name().equals(c) ? 1 : -1;
      case Expr.Binary b when b.op() == Expr.BOp.ADD || b.op() == Expr.BOp.SUB -> {
        long p = coefficient(b.a(), c, lanes), q = coefficient(b.b(), c, lanes);
        yield p < 0 || q < 0 ? -1 : b.op() == Expr.BOp.ADD ? p + q : q == 0 ? p : -1;
      }
      case Expr.Binary b when b.op() == Expr.BOp.MUL && b.b() instanceof Expr.Const k && !depends(b.b(), lanes) -> {
        long p = coefficient(b.a(), c, lanes);
        yield p < 0 ? -1 : p * (long) k.value();
      }
      case Expr.Binary b when b.op() == Expr.BOp.MUL && b.a() instanceof Expr.Const k -> {
        long p = coefficient(b.b(), c, lanes);
        yield p < 0 ? -1 : p * (long) k.value();
      }
      default -> -1;
    };
  }

  private static boolean depends(Expr x, Set<String> lanes) {
    return switch (x) {
      case Expr.Const k -> false;
      case Expr.Var v -> lanes.contains(v.name());
      case Expr.Load l -> depends(l.index(), lanes);
      case Expr.Unary u -> depends(u.a(), lanes);
      case Expr.Binary b -> depends(b.a(), lanes) || depends(b.b(), lanes);
      case Expr.Select s -> depends(s.cond(), lanes) || depends(s.a(), lanes) || depends(s.b(), lanes);
      case Expr.Cast k -> depends(k.a(), lanes);
    };
  }

  /** Vectors per step: one pass of the scalar work (window bounds, indexes) serves {@code unroll} vectors of lanes. */
  static int unroll(int extent, int lanes) { return Math.max(1, Math.min(lanes >= 16 ? 8 : 6, extent / lanes)); }

  private void emit(Stmt.For f, LLVMValueRef lo, LLVMValueRef hi) {
    int u = unroll(f.extent(), w), step = u * w;
    LLVMValueRef full = LLVMBuildSDiv(ib.raw(), ib.sub(hi, lo), ib.i64(step), "");
    IrBuilder.Loop t = ib.loop("ln", ib.i64(0), full, ib.i64(1));
    chunk(f, ib.add(lo, ib.mul(t.iv(), ib.i64(step))), u, null);
    ib.endLoop(t);
    LLVMValueRef rest = ib.add(lo, ib.mul(full, ib.i64(step)));
    ib.ifThen(ib.lt(rest, hi), () -> {
      LLVMValueRef[] m = new LLVMValueRef[u];
      for (int i = 0; i < u; i++) m[i] = ib.laneMask(w, ib.add(rest, ib.i64((long) i * w)), hi);
      chunk(f, rest, u, m);
    });
  }

  /** The body once for iterations [c0, c0 + u * lanes), vector i's lanes where {@code m[i]} is set when m is not null. */
  private void chunk(Stmt.For f, LLVMValueRef c0, int u, LLVMValueRef[] m) {
    masks = m;
    this.u = u;
    Map<String, LLVMValueRef> outer = e.values;
    e.values = new HashMap<>(outer);
    e.values.put(f.var(), c0); // index expressions evaluate to the first lane's element
    stmts(f.body());
    e.values = outer;
    vectors.clear();
    slots.clear();
  }

  private void stmts(List<Stmt> body) {
    for (Stmt s : body) {
      switch (s) {
        case Stmt.Let l when lanes.contains(l.name()) && l.mutable() -> {
          LLVMValueRef[] v = vec(l.value()), slot = new LLVMValueRef[u];
          for (int i = 0; i < u; i++) {
            slot[i] = ib.alloca(vt);
            ib.store(v[i], slot[i], 4);
          }
          slots.put(l.name(), slot);
        }
        case Stmt.Let l when lanes.contains(l.name()) -> vectors.put(l.name(), vec(l.value()));
        case Stmt.Assign a -> {
          LLVMValueRef[] v = vec(a.value()), slot = slots.get(a.name());
          for (int i = 0; i < u; i++) ib.store(v[i], slot[i], 4);
        }
        case Stmt.For f -> {
          IrBuilder.Loop loop = ib.loop(f.var(), ib.i64(0), ib.i64(f.extent()), ib.i64(1));
          Map<String, LLVMValueRef> outer = e.values;
          e.values = new HashMap<>(outer);
          e.values.put(f.var(), loop.iv());
          stmts(f.body());
          e.values = outer;
          ib.endLoop(loop);
        }
        case Stmt.Store st -> {
          LLVMValueRef at = e.address(st.buffer(), KType.F32, e.se.expr(st.index()));
          LLVMValueRef[] v = vec(st.value());
          for (int i = 0; i < u; i++) {
            LLVMValueRef ai = ib.gep(e.m.f32(), at, ib.i64((long) i * w));
            if (masks == null) ib.store(v[i], ai, 4);
            else ib.maskedStore(v[i], ai, masks[i], 4);
          }
        }
        default -> e.stmt(s); // a let that does not depend on the lanes
      }
    }
  }

  private LLVMValueRef[] vec(Expr x) {
    LLVMValueRef[] r = new LLVMValueRef[u];
    if (!depends(x, lanes)) {
      java.util.Arrays.fill(r, ib.splat(e.se.expr(x), w));
      return r;
    }
    switch (x) {
      case Expr.Var v -> {
        if (!slots.containsKey(v.name())) return vectors.get(v.name());
        for (int i = 0; i < u; i++) r[i] = ib.load(vt, slots.get(v.name())[i], 4);
      }
      case Expr.Load l -> {
        LLVMValueRef at = e.address(l.buffer(), KType.F32, e.se.expr(l.index()));
        for (int i = 0; i < u; i++) {
          LLVMValueRef ai = ib.gep(e.m.f32(), at, ib.i64((long) i * w));
          r[i] = masks == null ? ib.load(vt, ai, 4) : ib.maskedLoad(vt, ai, masks[i], 4);
        }
      }
      case Expr.Unary un -> {
        LLVMValueRef[] a = vec(un.a());
        for (int i = 0; i < u; i++) r[i] = LLVMBuildFNeg(ib.raw(), a[i], "");
      }
      case Expr.Binary b -> {
        LLVMValueRef[] p = vec(b.a()), q = vec(b.b());
        for (int i = 0; i < u; i++)
          r[i] = switch (b.op()) {
            case ADD -> ib.fadd(p[i], q[i]);
            case SUB -> LLVMBuildFSub(ib.raw(), p[i], q[i], "");
            case MUL -> ib.fmul(p[i], q[i]);
            case DIV -> LLVMBuildFDiv(ib.raw(), p[i], q[i], "");
            case MAX -> minMax("llvm.maximum.v" + w + "f32", p[i], q[i]);
            case MIN -> minMax("llvm.minimum.v" + w + "f32", p[i], q[i]);
            default -> throw new IllegalStateException("no lane form for " + b.op());
          };
      }
      case Expr.Select sel -> {
        LLVMValueRef c = e.se.expr(sel.cond());
        LLVMValueRef[] a = vec(sel.a()), b = vec(sel.b());
        for (int i = 0; i < u; i++) r[i] = ib.select(c, a[i], b[i]);
      }
      default -> throw new IllegalStateException("no lane form for " + x);
    }
    return r;
  }

  private LLVMValueRef minMax(String name, LLVMValueRef p, LLVMValueRef q) {
    LLVMTypeRef ft = e.m.fnType(vt, vt, vt);
    return ib.call(e.m.declare(name, ft), ft, p, q);
  }
}
