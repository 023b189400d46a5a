package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * One batch element of {@code nn.attention} (as {@code passes/lower/AttentionLowering} writes it: {@code gemm S = scale
 * Q K^T}, the softmax loop over the rows of S, {@code gemm O = P V}) as explicit vector code instead of two GEMM calls
 * around a scalar softmax. The GEMM library packs both operands on every call and the softmax rows (a few dozen
 * keys) are too short for the loop vectorizer, which made the transformer's 32 heads of 10 x 10 x 32 cost 0.09 ms.
 *
 * <p>Per batch element: K^T is copied to a stack buffer [E][S rounded up to the lanes] (zero padded; each vector
 * assembled in a register and stored whole). Per block of up to 4 query rows ({@link #rowBlock}, whose FMA chains
 * interleave), the scores are vectors over the keys: {@code acc_c += splat(q[i][e]) * Kt[e][c]} for e in order (one
 * FMA chain per key, like the GEMM's), times the scale; lanes past S are -inf; the max and the sum of
 * {@code exp(s - max)} (the vector {@link VectorMath#exp}) are vector reductions (a different summation order than
 * the scalar loop: a tree over the lanes, fixed by the code, so the same for any thread count); P = e * (1 / sum) is
 * stored into S's row as before, then {@code O[i] = sum_j P[i][j] V[j]} with vectors over the value dim (FMA over j
 * in order; up to {@link #UNROLL_KEYS} keys unrolled with P[i][j] taken from the registers).
 *
 * <p>Only the unmasked, non-causal softmax with a row-major S and V read by rows is taken, with at most
 * {@link #MAX_CHUNKS} vectors of keys and of values and K^T within {@link #MAX_KT_FLOATS}; anything else keeps the
 * GEMM path. Off with {@code -Dkiln.llvm.fastAttention=false} (or {@code -Dkiln.llvm.fastOps=false}), read at each
 * compile.
 */
final class AttentionEmitter {
  static final int MAX_CHUNKS = 8;
  static final int MAX_KT_FLOATS = 8192;
  /** Up to this many keys, P V is unrolled over the keys and reads P from registers. */
  static final int UNROLL_KEYS = 32;

  private final KernelFunctionEmitter e;
  private final IrBuilder ib;
  private final LlvmModule m;
  private final int w;

  AttentionEmitter(KernelFunctionEmitter e) {
    this.e = e;
    this.ib = e.ib;
    this.m = e.m;
    this.w = e.gemms.lanes();
  }

  static boolean enabled() { return FastOps.on("fastAttention"); }

  /** Whether {@code body[i..i+2]} is one batch element of an unmasked attention this emitter takes. */
  static boolean matches(List<Stmt> body, int i, int lanes) {
    if (i + 2 >= body.size() || !(body.get(i) instanceof Stmt.Gemm s) || !(body.get(i + 1) instanceof Stmt.For f)
        || !(body.get(i + 2) instanceof Stmt.Gemm o)) return false;
    int l = s.m(), n = s.n(), d = s.k(), dv = o.n();
    if (s.beta() != 0f || o.beta() != 0f || o.alpha() != 1f || o.transA() || o.transB() || s.ldc() != n || o.lda() != n
        || !o.a().equals(s.c()) || !o.offA().equals(s.offC()) || o.m() != l || o.k() != n || f.extent() != l) return false;
    if (l <= 0 || n <= 0 || d <= 0 || dv <= 0 || chunks(n, lanes) > MAX_CHUNKS || chunks(dv, lanes) > MAX_CHUNKS
        || (long) d * chunks(n, lanes) * lanes > MAX_KT_FLOATS) return false;
    return plainSoftmax(f, s.c());
  }

  /** The lowering's unmasked softmax row loop: max, exp-and-sum, scale, each over S's row, nothing else. */
  private static boolean plainSoftmax(Stmt.For f, String scores) {
    List<Stmt> b = f.body();
    if (b.size() != 6 || !(b.get(1) instanceof Stmt.For mx) || !(b.get(3) instanceof Stmt.For ex) || !(b.get(5) instanceof Stmt.For sc))
      return false;
    if (mx.body().size() != 1 || !(mx.body().getFirst() instanceof Stmt.Assign a) || !(a.value() instanceof Expr.Binary bin)
        || bin.op() != Expr.BOp.MAX || !(bin.b() instanceof Expr.Load ld) || !ld.buffer().equals(scores)) return false;
    return ex.body().size() == 3 && sc.body().size() == 1 && sc.body().getFirst() instanceof Stmt.Store st && st.buffer().equals(scores);
  }

  private static int chunks(int n, int lanes) { return (n + lanes - 1) / lanes; }

  /** Emits the batch element {@code body[i..i+2]} at the current position (batch loop variables are in scope). */
  void emit(List<Stmt> body, int i) {
    Stmt.Gemm s = (Stmt.Gemm) body.get(i), o = (Stmt.Gemm) body.get(i + 2);
    int l = s.m(), n = s.n(), d = s.k(), sp = chunks(n, w) * w;
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, w);
    LLVMValueRef q = e.address(s.a(), KType.F32, e.se.expr(s.offA()));
    LLVMValueRef k = e.address(s.b(), KType.F32, e.se.expr(s.offB()));
    LLVMValueRef p = e.address(s.c(), KType.F32, e.se.expr(s.offC()));
    LLVMValueRef v = e.address(o.b(), KType.F32, e.se.expr(o.offB()));
    LLVMValueRef out = e.address(o.c(), KType.F32, e.se.expr(o.offC()));
    LLVMValueRef kt = ib.alloca(LLVMArrayType2(f32, (long) d * sp));
    LLVMSetAlignment(kt, 64);
    // Kt[e][j] = op(B)(e, j), zero past the keys: each vector assembled in a register and stored whole (scalar
    // stores read back as vectors would stall store-to-load forwarding)
    IrBuilder.Loop le = ib.loop("at_e", ib.i64(0), ib.i64(d), ib.i64(1));
    for (int c = 0; c * w < n; c++) {
      LLVMValueRef vec = LLVMConstNull(vt);
      for (int j = c * w; j < Math.min(n, (c + 1) * w); j++) {
        LLVMValueRef src = s.transB() ? ib.add(ib.i64((long) j * s.ldb()), le.iv()) : ib.add(ib.mul(le.iv(), ib.i64(s.ldb())), ib.i64(j));
        vec = LLVMBuildInsertElement(ib.raw(), vec, ib.load(f32, ib.gep(f32, k, src), 4), ib.i32(j - c * w), "");
      }
      ib.store(vec, ib.gep(f32, kt, ib.add(ib.mul(le.iv(), ib.i64(sp)), ib.i64((long) c * w))), 64);
    }
    ib.endLoop(le);
    Operands x = new Operands(s, o, q, kt, p, v, out);
    int rb = rowBlock(chunks(n, w), chunks(o.n(), w), w), blocks = l / rb;
    if (blocks > 0) {
      IrBuilder.Loop lb = ib.loop("at_rb", ib.i64(0), ib.i64(blocks), ib.i64(1));
      rows(x, ib.mul(lb.iv(), ib.i64(rb)), rb);
      ib.endLoop(lb);
    }
    if (l % rb != 0) rows(x, ib.i64((long) blocks * rb), l % rb); // the last rows together too
  }

  /**
   * Query rows processed together: independent FMA chains (one row alone is bound by the FMA latency), up to 4, with
   * their accumulators (rows x vectors of keys or of values) within half the vector registers.
   */
  static int rowBlock(int keyChunks, int valueChunks, int lanes) {
    int budget = lanes >= 16 ? 16 : 8;
    return Math.max(1, Math.min(4, budget / Math.max(keyChunks, valueChunks)));
  }

  private record Operands(Stmt.Gemm s, Stmt.Gemm o, LLVMValueRef q, LLVMValueRef kt, LLVMValueRef p, LLVMValueRef v,
                          LLVMValueRef out) {}

  /** Query rows [row0, row0 + r): scores, softmax into P's rows, O = P V. */
  private void rows(Operands x, LLVMValueRef row0, int r) {
    Stmt.Gemm s = x.s(), o = x.o();
    int n = s.n(), d = s.k(), dv = o.n(), nc = chunks(n, w), nvc = chunks(dv, w), sp = nc * w;
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, w);
    List<LLVMValueRef> zero = new ArrayList<>();
    for (int c = 0; c < r * nc; c++) zero.add(LLVMConstNull(vt));
    IrBuilder.Loop lk = ib.loop("at_k", ib.i64(0), ib.i64(d), ib.i64(1), zero);
    LLVMValueRef[] kv = new LLVMValueRef[nc];
    for (int c = 0; c < nc; c++) kv[c] = ib.load(vt, ib.gep(f32, x.kt(), ib.add(ib.mul(lk.iv(), ib.i64(sp)), ib.i64((long) c * w))), 4);
    List<LLVMValueRef> next = new ArrayList<>();
    for (int t = 0; t < r; t++) {
      LLVMValueRef row = ib.add(row0, ib.i64(t));
      LLVMValueRef qi = s.transA() ? ib.add(ib.mul(lk.iv(), ib.i64(s.lda())), row) : ib.add(ib.mul(row, ib.i64(s.lda())), lk.iv());
      LLVMValueRef qe = ib.splat(ib.load(f32, ib.gep(f32, x.q(), qi), 4), w);
      for (int c = 0; c < nc; c++) next.add(ib.fma(qe, kv[c], lk.values().get(t * nc + c)));
    }
    ib.endLoop(lk, next);
    LLVMValueRef ninf = ib.splat(ib.f32(Float.NEGATIVE_INFINITY), w), scale = ib.splat(ib.f32(s.alpha()), w);
    VectorMath vm = new VectorMath(ib);
    LLVMValueRef[] prow = new LLVMValueRef[r];
    LLVMValueRef[][] pv = new LLVMValueRef[r][nc];
    for (int t = 0; t < r; t++) {
      LLVMValueRef[] sv = new LLVMValueRef[nc];
      LLVMValueRef mx = null;
      for (int c = 0; c < nc; c++) {
        LLVMValueRef acc = lk.values().get(t * nc + c);
        sv[c] = s.alpha() == 1f ? acc : ib.fmul(acc, scale);
        if ((c + 1) * w > n) sv[c] = ib.select(ib.laneMask(w, ib.i64((long) c * w), ib.i64(n)), sv[c], ninf);
        mx = mx == null ? sv[c] : call2("llvm.maximum.v" + w + "f32", vt, mx, sv[c]);
      }
      LLVMValueRef maxV = ib.splat(reduce("llvm.vector.reduce.fmaximum.v" + w + "f32", mx, null), w), sum = null;
      LLVMValueRef[] ev = new LLVMValueRef[nc];
      for (int c = 0; c < nc; c++) {
        ev[c] = vm.exp(LLVMBuildFSub(ib.raw(), sv[c], maxV, ""));
        sum = sum == null ? ev[c] : ib.fadd(sum, ev[c]);
      }
      LLVMValueRef total = reduce("llvm.vector.reduce.fadd.v" + w + "f32", sum, ib.f32(-0f));
      LLVMValueRef inv = ib.splat(LLVMBuildFDiv(ib.raw(), ib.f32(1f), total, ""), w);
      prow[t] = ib.gep(f32, x.p(), ib.mul(ib.add(row0, ib.i64(t)), ib.i64(n)));
      for (int c = 0; c < nc; c++) {
        LLVMValueRef pc = pv[t][c] = ib.fmul(ev[c], inv), at = ib.gep(f32, prow[t], ib.i64((long) c * w));
        if ((c + 1) * w > n) ib.maskedStore(pc, at, ib.laneMask(w, ib.i64((long) c * w), ib.i64(n)), 4);
        else ib.store(pc, at, 4);
      }
    }
    // O[i] = sum_j P[i][j] V[j]; with few keys unrolled, P[i][j] broadcast from the registers
    List<LLVMValueRef> acc = new ArrayList<>();
    for (int c = 0; c < r * nvc; c++) acc.add(LLVMConstNull(vt));
    IrBuilder.Loop lj = n <= UNROLL_KEYS ? null : ib.loop("at_v", ib.i64(0), ib.i64(n), ib.i64(1), acc);
    for (int j = 0; j < (lj == null ? n : 1); j++) {
      LLVMValueRef jv = lj == null ? ib.i64(j) : lj.iv();
      List<LLVMValueRef> cur = lj == null ? acc : lj.values();
      LLVMValueRef vrow = ib.gep(f32, x.v(), ib.mul(jv, ib.i64(o.ldb())));
      LLVMValueRef[] vv = new LLVMValueRef[nvc];
      for (int c = 0; c < nvc; c++) {
        LLVMValueRef at = ib.gep(f32, vrow, ib.i64((long) c * w));
        vv[c] = (c + 1) * w > dv ? ib.maskedLoad(vt, at, ib.laneMask(w, ib.i64((long) c * w), ib.i64(dv)), 4) : ib.load(vt, at, 4);
      }
      List<LLVMValueRef> step = new ArrayList<>();
      for (int t = 0; t < r; t++) {
        LLVMValueRef pj = ib.splat(lj == null ? ib.extract(pv[t][j / w], j % w) : ib.load(f32, ib.gep(f32, prow[t], jv), 4), w);
        for (int c = 0; c < nvc; c++) step.add(ib.fma(pj, vv[c], cur.get(t * nvc + c)));
      }
      if (lj == null) acc = step;
      else {
        ib.endLoop(lj, step);
        acc = lj.values();
      }
    }
    for (int t = 0; t < r; t++) {
      LLVMValueRef orow = ib.gep(f32, x.out(), ib.mul(ib.add(row0, ib.i64(t)), ib.i64(o.ldc())));
      for (int c = 0; c < nvc; c++) {
        LLVMValueRef at = ib.gep(f32, orow, ib.i64((long) c * w)), val = acc.get(t * nvc + c);
        if ((c + 1) * w > dv) ib.maskedStore(val, at, ib.laneMask(w, ib.i64((long) c * w), ib.i64(dv)), 4);
        else ib.store(val, at, 4);
      }
    }
  }

  private LLVMValueRef call2(String name, LLVMTypeRef t, LLVMValueRef a, LLVMValueRef b) {
    LLVMTypeRef ft = m.fnType(t, t, t);
    return ib.call(m.declare(name, ft), ft, a, b);
  }

  /** A horizontal reduction; {@code start} is the fadd reduction's start value (then reassociable: a lane tree). */
  private LLVMValueRef reduce(String name, LLVMValueRef vec, LLVMValueRef start) {
    LLVMTypeRef vt = LLVMTypeOf(vec), f32 = m.f32();
    if (start == null) {
      LLVMTypeRef ft = m.fnType(f32, vt);
      return ib.call(m.declare(name, ft), ft, vec);
    }
    LLVMTypeRef ft = m.fnType(f32, f32, vt);
    LLVMValueRef r = ib.call(m.declare(name, ft), ft, start, vec);
    LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    return r;
  }
}
