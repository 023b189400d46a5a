package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * A kernel body emitted for {@code nthreads} threads running it at once, each with its {@code tid} (the kernel
 * function's threaded form, {@link KernelFunctionEmitter}). Top-level statements are taken one by one:
 *
 * <ul>
 *   <li>a GEMM is split over rows of C (multiples of the micro-kernel's MR) or, when it has more columns than rows,
 *       over columns (multiples of 64); each thread packs into its own workspace;
 *   <li>a channels-last pointwise convolution with a bias and a prepacked weight is split over rows (pixels) like a
 *       GEMM, and runs as one bias-initialised product ({@link ConvExpansion#pointwiseBias});
 *   <li>a channels-last im2col convolution is split over output rows: each thread fills bias, runs the shared im2col
 *       routine into its own scratch and multiplies for its rows only;
 *   <li>another convolution is expanded ({@link ConvExpansion}) and its statements taken in turn;
 *   <li>a loop whose iterations are independent ({@link ThreadSplit#parallel}) is split over its iterations; a loop of
 *       one iteration is entered by every thread; one that writes only per-thread scratch, and locals, are run by every
 *       thread; anything else runs on thread 0 alone, and so does a whole statement list that declares a mutable
 *       local (a value thread 0 alone updates must not be read stale by the others).
 * </ul>
 *
 * Nothing splits a reduction (each output element is computed by one thread in the sequential order), so results
 * are bit-identical for any thread count. A {@code kiln_barrier} goes between two statements when one reads or writes
 * what the other writes across threads (tracked by storage since the last barrier); when a kernel has any, its
 * storage parameters lose {@code noalias} (other threads touch the same memory during the call).
 */
final class ThreadedBody {
  /** Columns per share when a GEMM is split by columns (a multiple of every micro-kernel's width). */
  static final int COLUMN_GRANULE = 64;

  private enum Mode { ALL, SPLIT, TID0 }

  private final KernelFunctionEmitter e;
  private final IrBuilder ib;
  private final Hazards hazards = new Hazards();
  private boolean barriers;

  ThreadedBody(KernelFunctionEmitter e) {
    this.e = e;
    this.ib = e.ib;
  }

  /** Whether a barrier was emitted. */
  boolean hasBarriers() { return barriers; }

  void stmts(List<Stmt> body) {
    if (body.stream().anyMatch(s -> s instanceof Stmt.Let l && l.mutable())) {
      // A local accumulated by a statement that thread 0 alone would run could be read stale by the others: the
      // whole list (a kernel body or a loop body, so one scope) runs on thread 0.
      if (hazards.step(ThreadSplit.Access.of(e.p, body), true)) barrier();
      ib.ifThen(ib.eq(e.tid, ib.i64(0)), () -> e.stmts(body));
      return;
    }
    for (int i = 0; i < body.size(); i++) {
      if (AttentionEmitter.enabled() && AttentionEmitter.matches(body, i, e.gemms.lanes())) {
        attention(body, i); // a single batch element (its loops had one iteration): on thread 0
        i += 2;
        continue;
      }
      int rows = i + 1 < body.size() && body.get(i) instanceof Stmt.For f && body.get(i + 1) instanceof Stmt.Gemm g
          ? ThreadSplit.rowsPerIteration(e.p, f, g) : 0;
      FusedEpilogue clamp = rows > 0 ? null : e.fusedClamp(body, i);
      if (rows > 0) im2colGemm((Stmt.For) body.get(i), (Stmt.Gemm) body.get(++i), rows);
      else if (clamp != null) clamped((Stmt.Conv) body.get(i), body.get(++i), clamp); // the loop is in the conv's store
      else stmt(body.get(i));
    }
  }

  /** One batch element of {@code nn.attention} ({@link AttentionEmitter}, statements i..i+2) on thread 0. */
  private void attention(List<Stmt> body, int i) {
    if (hazards.step(ThreadSplit.Access.of(e.p, body.subList(i, i + 3)), true)) barrier();
    ib.ifThen(ib.eq(e.tid, ib.i64(0)), () -> new AttentionEmitter(e).emit(body, i));
  }

  /**
   * A convolution with the epilogue loop after it applied in its store ({@link KernelFunctionEmitter#fusedClamp});
   * the barrier check covers the loop's accesses too (a residual written by other threads since the last barrier).
   */
  private void clamped(Stmt.Conv c, Stmt epilogue, FusedEpilogue clamp) {
    if (e.dwConv(c)) dwConv(c, epilogue, clamp);
    else if (ConvExpansion.depthwiseClamp(c)) stmts(ConvExpansion.expand(c, "cv" + e.convs++ + "_", clamp));
    else pointwiseBias(c, epilogue, clamp);
  }

  /** A pointwise-bias convolution split over rows (pixels), with its fused epilogue when {@code clamp} is not null. */
  private void pointwiseBias(Stmt.Conv c, Stmt epilogue, FusedEpilogue clamp) {
    if (hazards.step(ThreadSplit.Access.of(e.p, epilogue == null ? List.of(c) : List.of(c, epilogue)), false)) barrier();
    int[] q = c.params();
    LLVMValueRef[] r = share((long) q[0] * q[14] * q[15], e.gemms.rowGranule());
    ib.ifThen(ib.lt(r[0], r[1]), () -> e.pointwiseBias(c, r[0], r[1], clamp));
  }

  /** A depthwise convolution split over output rows, with its fused clamp when {@code clamp} is not null. */
  private void dwConv(Stmt.Conv c, Stmt epilogue, FusedEpilogue clamp) {
    if (hazards.step(ThreadSplit.Access.of(e.p, epilogue == null ? List.of(c) : List.of(c, epilogue)), false)) barrier();
    LLVMValueRef[] r = share(c.params()[14], 1);
    ib.ifThen(ib.lt(r[0], r[1]), () -> e.dwConv(c, clamp, r[0], r[1]));
  }

  /**
   * An im2col loop and the GEMM reading it (a channels-last convolution with few channels): each thread fills only
   * the scratch rows of its share of the loop and multiplies only those rows (whole output rows, no barrier between).
   */
  private void im2colGemm(Stmt.For f, Stmt.Gemm g, int rows) {
    sync(g, Mode.SPLIT);
    LLVMValueRef[] r = share(f.extent(), 1);
    IrBuilder.Loop loop = ib.loop(f.var(), r[0], r[1], ib.i64(1));
    Map<String, LLVMValueRef> outer = e.values;
    e.values = new HashMap<>(outer);
    e.values.put(f.var(), loop.iv());
    e.stmts(f.body());
    e.values = outer;
    ib.endLoop(loop);
    gemmRows(g, ib.mul(r[0], ib.i64(rows)), ib.mul(r[1], ib.i64(rows)));
  }

  private void stmt(Stmt s) {
    switch (s) {
      case Stmt.Gemm g -> {
        sync(s, Mode.SPLIT);
        gemm(g);
      }
      case Stmt.Conv c when ConvExpansion.pointwiseBias(c) && e.packedB.contains(c.weight()) -> pointwiseBias(c, null, null);
      case Stmt.Conv c when e.dwConv(c) -> dwConv(c, null, null);
      case Stmt.Conv c when e.directConv(c) -> {
        sync(s, Mode.SPLIT);
        LLVMValueRef[] r = share(c.params()[14], 1);
        ib.ifThen(ib.lt(r[0], r[1]), () -> e.directConv(c, r[0], r[1]));
      }
      case Stmt.Conv c when e.planeConv(c) -> {
        sync(s, Mode.SPLIT);
        int[] q = c.params();
        LLVMValueRef[] r = share((long) q[14] * q[15], dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter.blockPixels(q[14] * q[15]));
        ib.ifThen(ib.lt(r[0], r[1]), () -> e.planeConv(c, r[0], r[1]));
      }
      case Stmt.Conv c when ConvExpansion.sharedIm2col(c) -> {
        sync(s, Mode.SPLIT);
        conv(c, "cv" + e.convs++ + "_");
      }
      case Stmt.Conv c -> stmts(ConvExpansion.expand(c, "cv" + e.convs++ + "_"));
      case Stmt.For f when ThreadSplit.threadLocal(e.p, f) -> {
        sync(s, Mode.ALL);
        e.stmt(f);
      }
      case Stmt.For f when ThreadSplit.parallel(e.p, f) -> {
        sync(s, Mode.SPLIT);
        LLVMValueRef[] r = share(f.extent(), 1);
        if (e.fastLanes && LaneLoopEmitter.tryEmit(e, f, r[0], r[1])) return; // this thread's share in vectors
        IrBuilder.Loop loop = ib.loop(f.var(), r[0], r[1], ib.i64(1));
        Map<String, LLVMValueRef> outer = e.values;
        e.values = new HashMap<>(outer);
        e.values.put(f.var(), loop.iv());
        e.stmts(f.body());
        e.values = outer;
        ib.endLoop(loop);
      }
      case Stmt.For f when f.extent() == 1 -> {
        Map<String, LLVMValueRef> outer = e.values;
        e.values = new HashMap<>(outer);
        e.values.put(f.var(), ib.i64(0));
        stmts(f.body());
        e.values = outer;
      }
      case Stmt.Let l -> {
        sync(s, Mode.ALL);
        e.stmt(l);
      }
      case Stmt.Assign a -> {
        sync(s, Mode.ALL);
        e.stmt(a);
      }
      default -> {
        sync(s, Mode.TID0);
        ib.ifThen(ib.eq(e.tid, ib.i64(0)), () -> e.stmt(s));
      }
    }
  }

  /** Emits a barrier first when {@code s}, run in {@code mode}, conflicts with what ran since the last one. */
  private void sync(Stmt s, Mode mode) {
    if (hazards.step(ThreadSplit.Access.of(e.p, List.of(s)), mode == Mode.TID0)) barrier();
  }

  private void barrier() {
    e.barrier.call(ib, e.sync, e.nthreads32);
    barriers = true;
  }

  /** This thread's share [lo, hi) of [0, extent) in whole granules (i64 values; empty for some threads). */
  private LLVMValueRef[] share(long extent, long granule) {
    long units = (extent + granule - 1) / granule;
    LLVMValueRef lo = bound(units, granule, extent, e.tid);
    LLVMValueRef hi = bound(units, granule, extent, ib.add(e.tid, ib.i64(1)));
    return new LLVMValueRef[] {lo, hi};
  }

  private LLVMValueRef bound(long units, long granule, long extent, LLVMValueRef t) {
    LLVMValueRef u = LLVMBuildSDiv(ib.raw(), ib.mul(ib.i64(units), t), e.nthreads, "");
    return ib.min(ib.mul(u, ib.i64(granule)), ib.i64(extent));
  }

  /** The GEMM of {@code KernelFunctionEmitter} on this thread's rows or columns of C. */
  private void gemm(Stmt.Gemm g) {
    boolean byRows = g.m() >= g.n();
    LLVMValueRef[] r = share(byRows ? g.m() : g.n(), byRows ? e.gemms.rowGranule() : COLUMN_GRANULE);
    gemm(g, byRows, r);
  }

  /** The GEMM on rows [lo, hi) of C. */
  private void gemmRows(Stmt.Gemm g, LLVMValueRef lo, LLVMValueRef hi) { gemm(g, true, new LLVMValueRef[] {lo, hi}); }

  private void gemm(Stmt.Gemm g, boolean byRows, LLVMValueRef[] r) {
    boolean product = g.k() > 0 && g.m() > 0 && g.n() > 0 && g.alpha() != 0f;
    LLVMValueRef c = e.address(g.c(), KType.F32, e.se.expr(g.offC()));
    LLVMValueRef a = e.address(g.a(), KType.F32, e.se.expr(g.offA())), b = e.address(g.b(), KType.F32, e.se.expr(g.offB()));
    LLVMValueRef rows = byRows ? ib.sub(r[1], r[0]) : ib.i64(g.m()), cols = byRows ? ib.i64(g.n()) : ib.sub(r[1], r[0]);
    if (byRows) {
      c = ib.gep(e.m.f32(), c, ib.mul(r[0], ib.i64(g.ldc())));
      a = ib.gep(e.m.f32(), a, g.transA() ? r[0] : ib.mul(r[0], ib.i64(g.lda())));
    } else {
      c = ib.gep(e.m.f32(), c, r[0]);
      b = ib.gep(e.m.f32(), b, g.transB() ? ib.mul(r[0], ib.i64(g.ldb())) : r[0]);
    }
    LLVMValueRef cc = c, aa = a, bb = b;
    ib.ifThen(ib.lt(r[0], r[1]), () -> {
      float pre = g.alpha() == 0f ? g.beta() : g.beta() / g.alpha();
      if (pre != 1f) scale(cc, rows, cols, g.ldc(), pre);
      if (!product) return;
      e.gemms.call(ib, g.transA(), g.transB(), aa, bb, cc, g.m(), rows, cols, g.k(), g.lda(), g.ldb(), g.ldc(), e.work,
          e.packedB.contains(g.b()));
      if (g.alpha() != 1f) scale(cc, rows, cols, g.ldc(), g.alpha());
    });
  }

  /** C[i][j] *= factor over rows x cols (a store of 0 when factor is 0). */
  private void scale(LLVMValueRef c, LLVMValueRef rows, LLVMValueRef cols, int ldc, float factor) {
    IrBuilder.Loop i = ib.loop("ci", ib.i64(0), rows, ib.i64(1));
    IrBuilder.Loop j = ib.loop("cj", ib.i64(0), cols, ib.i64(1));
    LLVMValueRef at = ib.gep(e.m.f32(), c, ib.add(ib.mul(i.iv(), ib.i64(ldc)), j.iv()));
    ib.store(factor == 0f ? ib.f32(0f) : ib.fmul(ib.load(e.m.f32(), at, 4), ib.f32(factor)), at, 4);
    ib.endLoop(j);
    ib.endLoop(i);
  }

  /**
   * Channels-last im2col convolution on this thread's output rows [oy0, oy1) of every image: bias fill of those
   * pixels, then per group the shared im2col routine for those rows (top padding shifted by oy0 · strideH) into
   * this thread's scratch and the GEMM onto them.
   */
  private void conv(Stmt.Conv cv, String t) {
    int[] q = cv.params();
    int n = q[0], c = q[1], h = q[2], w = q[3], oc = q[4], groups = q[13], oh = q[14], ow = q[15];
    int cg = c / groups, og = oc / groups, kdim = cg * q[5] * q[6], plane = oh * ow;
    LLVMValueRef[] r = share(oh, 1);
    LLVMValueRef p0 = ib.mul(r[0], ib.i64(ow)), p1 = ib.mul(r[1], ib.i64(ow)), rows = ib.sub(p1, p0);
    IrBuilder.Loop img = ib.loop(t + "n", ib.i64(0), ib.i64(n), ib.i64(1));
    LLVMValueRef y = e.address(cv.y(), KType.F32, ib.mul(img.iv(), ib.i64((long) plane * oc)));
    LLVMValueRef bias = cv.bias() == null ? null : e.address(cv.bias(), KType.F32, ib.i64(0));
    IrBuilder.Loop px = ib.loop(t + "f", p0, p1, ib.i64(1));
    IrBuilder.Loop o = ib.loop(t + "o", ib.i64(0), ib.i64(oc), ib.i64(1));
    LLVMValueRef v = bias == null ? ib.f32(0f) : ib.load(e.m.f32(), ib.gep(e.m.f32(), bias, o.iv()), 4);
    ib.store(v, ib.gep(e.m.f32(), y, ib.add(ib.mul(px.iv(), ib.i64(oc)), o.iv())), 4);
    ib.endLoop(o);
    ib.endLoop(px);
    ib.ifThen(ib.lt(r[0], r[1]), () -> {
      IrBuilder.Loop grp = ib.loop(t + "g", ib.i64(0), ib.i64(groups), ib.i64(1));
      LLVMValueRef x = e.address(cv.x(), KType.F32,
          ib.add(ib.mul(img.iv(), ib.i64((long) h * w * c)), ib.mul(grp.iv(), ib.i64(cg))));
      LLVMValueRef col = e.address(ConvExpansion.COL, KType.F32, ib.i64(0));
      LLVMValueRef padTop = ib.sub(ib.i64(q[9]), ib.mul(r[0], ib.i64(q[7])));
      e.im2col.call(ib, x, col, q, c, cg, padTop, ib.sub(r[1], r[0]));
      LLVMValueRef wg = e.address(cv.weight(), KType.F32, ib.mul(grp.iv(), ib.i64((long) og * kdim)));
      LLVMValueRef yg = ib.gep(e.m.f32(), y, ib.add(ib.mul(p0, ib.i64(oc)), ib.mul(grp.iv(), ib.i64(og))));
      e.gemms.call(ib, false, true, col, wg, yg, plane, rows, ib.i64(og), kdim, kdim, kdim, oc, e.work,
          e.packedB.contains(cv.weight()));
      ib.endLoop(grp);
    });
    ib.endLoop(img);
  }
}
