package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits one Kernel IR kernel as {@code void NAME(ptr s0, ..., ptr sN, ptr work)}: one parameter per distinct
 * storage the kernel touches (aliases share their storage's pointer), each {@code noalias nocapture align 64}
 * because every storage is its own 64-byte aligned allocation; {@code work} is the shared scratch (GEMM packing,
 * then im2col). Loops are counted i64 loops, immutable locals SSA values, mutable accumulators stack slots that
 * mem2reg promotes. GEMM calls go to the explicit-vector GEMM ({@link GemmLibrary}); convolutions are first
 * rewritten by {@link ConvExpansion}.
 *
 * <p>Throws {@link Unsupported} (after which the caller discards the module function) when the kernel needs
 * something not generated natively.
 */
final class KernelFunctionEmitter {
  final LlvmModule m;
  final KernelProgram p;
  final GemmLibrary gemms;
  final Im2colRoutine im2col;
  final dev.kiln.codegen.llvm.conv.DirectConvEmitter direct;
  final dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter plane;
  final dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter dw;
  private final long colOffsetBytes;
  /** Where the band buffers of fused inverted-residual blocks start in the workspace (after the im2col area). */
  long bandOffsetBytes;
  /** The chain of each merged inverted-residual kernel ({@link InvertedResidualFusion}), by identity. */
  Map<Kernel, InvertedResidualChain> blocks = Map.of();
  IrBuilder ib;
  ScalarEmitter se;
  private final Map<String, LLVMValueRef> storagePtr = new HashMap<>();
  LLVMValueRef work;
  Map<String, LLVMValueRef> values = new HashMap<>();
  private final Map<String, LLVMValueRef> slots = new HashMap<>();
  int convs;
  /** B operands packed at init ({@link WeightPrepack}); GEMMs reading them call the packed-B GEMM. */
  java.util.Set<String> packedB = java.util.Set.of();
  // Threaded form only (ThreadedBody): i64 tid and thread count, the i32 count, the shared sync area.
  private final boolean threaded;
  final ThreadBarrier barrier;
  LLVMValueRef tid, nthreads, nthreads32, sync;
  private final boolean fastReductions = ReductionFlags.enabled();
  final boolean fastLanes = LaneLoopEmitter.enabled();

  /** @param colOffsetBytes where the im2col area starts in the workspace (after the GEMM's packing area) */
  KernelFunctionEmitter(LlvmModule m, KernelProgram p, GemmLibrary gemms, long colOffsetBytes) {
    this(m, p, gemms, colOffsetBytes, false);
  }

  /**
   * @param threaded emit the threaded form {@code void NAME(ptr s0.., ptr work, ptr sync, i32 tid, i32 nthreads)}
   *     whose body {@link ThreadedBody} splits over the threads; {@code work} is then the calling thread's own
   */
  KernelFunctionEmitter(LlvmModule m, KernelProgram p, GemmLibrary gemms, long colOffsetBytes, boolean threaded) {
    this.m = m;
    this.p = p;
    this.gemms = gemms;
    this.im2col = new Im2colRoutine(m);
    this.direct = new dev.kiln.codegen.llvm.conv.DirectConvEmitter(m, gemms.lanes());
    this.plane = new dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter(m, gemms.lanes());
    this.dw = new dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter(m, gemms.lanes());
    this.colOffsetBytes = colOffsetBytes;
    this.threaded = threaded;
    this.barrier = threaded ? new ThreadBarrier(m) : null;
  }

  /** Emits the function {@code name} for kernel {@code k} with parameters for {@code storages} (in that order). */
  LLVMValueRef emit(String name, Kernel k, List<String> storages) {
    return emit(name, storages, fn -> {
      if (threaded) threadedBody(fn, k, storages.size());
      else stmts(k.body());
    });
  }

  /**
   * As above for a merged inverted-residual kernel ({@link InvertedResidualFusion}): the chain band by band
   * ({@link InvertedResidualEmitter}), its band buffers at {@link #bandOffsetBytes} in the workspace.
   */
  LLVMValueRef emitBlock(String name, InvertedResidualChain chain, List<String> storages) {
    return emit(name, storages, fn -> {
      if (threaded) threadParams(storages.size());
      new InvertedResidualEmitter(this, chain).emit();
    });
  }

  private LLVMValueRef emit(String name, List<String> storages, java.util.function.Consumer<LLVMValueRef> body) {
    LLVMTypeRef[] params = new LLVMTypeRef[storages.size() + (threaded ? 4 : 1)];
    java.util.Arrays.fill(params, m.ptr());
    if (threaded) params[params.length - 2] = params[params.length - 1] = m.i32();
    LLVMValueRef fn = m.addFunction(name, m.fnType(m.voidType(), params));
    for (int i = 0; i < storages.size(); i++) m.bufferParam(fn, i, 64);
    m.bufferParam(fn, storages.size(), 64);
    try (IrBuilder b = new IrBuilder(m)) {
      ib = b;
      b.enter(fn);
      for (int i = 0; i < storages.size(); i++) storagePtr.put(storages.get(i), b.param(i));
      work = b.param(storages.size());
      se = new ScalarEmitter(b, this::var, this::address);
      AliasScopes scopes = new AliasScopes(m, name, storages);
      // Stores into the im2col scratch stay untagged: a few-channel im2col nest (strided x loads, 27-float rows of
      // col) that LLVM can prove alias-free gets vectorized with gathers and scatters, 3x slower than scalar copies.
      if (AliasScopes.enabled()) se.tag = (inst, buffer) -> {
        boolean col = buffer.equals(ConvExpansion.COL);
        if (!(col && LLVMIsAStoreInst(inst) != null)) scopes.tag(inst, col ? null : p.storageOf(buffer).name());
      };
      try {
        body.accept(fn);
      } catch (RuntimeException e) {
        LLVMDeleteFunction(fn);
        throw e;
      }
      b.retVoid();
    }
    return fn;
  }

  private void threadParams(int storages) {
    sync = ib.param(storages + 1);
    nthreads32 = ib.param(storages + 3);
    tid = LLVMBuildSExt(ib.raw(), ib.param(storages + 2), m.i64(), "tid");
    nthreads = LLVMBuildSExt(ib.raw(), nthreads32, m.i64(), "nthreads");
  }

  /** Whether functions take the thread arguments ({@link #tid}, {@link #nthreads} set while emitting). */
  boolean threaded() { return threaded; }

  private void threadedBody(LLVMValueRef fn, Kernel k, int storages) {
    threadParams(storages);
    ThreadedBody body = new ThreadedBody(this);
    body.stmts(k.body());
    // Other threads touch the same buffers between barriers, so the storages are no longer noalias; the alias-scope
    // metadata on every load and store (AliasScopes) still tells the optimizer that distinct storages never overlap.
    int noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    if (body.hasBarriers()) for (int i = 0; i < storages; i++) LLVMRemoveEnumAttributeAtIndex(fn, i + 1, noalias);
  }

  LLVMValueRef address(String buffer, KType t, LLVMValueRef index) {
    LLVMValueRef base;
    if (buffer.equals(ConvExpansion.COL)) base = ib.gep(LLVMInt8TypeInContext(m.context()), work, ib.i64(colOffsetBytes));
    else {
      if (p.buffer(buffer).type() == KType.OBJ) throw new Unsupported("%" + buffer + " holds an object");
      base = storagePtr.get(p.storageOf(buffer).name());
      if (base == null) throw new IllegalStateException("kernel touches %" + buffer + " but does not list it");
    }
    return ib.gep(se.memType(t), base, index);
  }

  private LLVMValueRef var(Expr.Var v) {
    LLVMValueRef slot = slots.get(v.name());
    if (slot != null) return ib.load(se.type(v.type()), slot, ScalarEmitter.align(v.type()));
    LLVMValueRef val = values.get(v.name());
    if (val == null) throw new IllegalStateException("%" + v.name() + " used before it is defined");
    return val;
  }

  void stmts(List<Stmt> body) {
    boolean fastAttention = AttentionEmitter.enabled();
    for (int i = 0; i < body.size(); i++) {
      if (fastAttention && AttentionEmitter.matches(body, i, gemms.lanes())) { // one batch element of nn.attention
        new AttentionEmitter(this).emit(body, i);
        i += 2;
        continue;
      }
      FusedEpilogue clamp = fusedClamp(body, i);
      if (clamp == null) {
        stmt(body.get(i));
        continue;
      }
      Stmt.Conv c = (Stmt.Conv) body.get(i++); // the clamp loop after it is applied in its store
      if (dwConv(c)) dwConv(c, clamp, ib.i64(0), ib.i64(c.params()[14]));
      else if (ConvExpansion.depthwiseClamp(c)) stmts(ConvExpansion.expand(c, "cv" + convs++ + "_", clamp));
      else pointwiseBias(c, ib.i64(0), ib.i64((long) c.params()[0] * c.params()[14] * c.params()[15]), clamp);
    }
  }

  /**
   * The clamp loop after {@code body[i]} when that is a pointwise-bias conv whose GEMM applies it, or a channels-last
   * depthwise conv whose expansion does ({@link FusedEpilogue}); else null.
   */
  FusedEpilogue fusedClamp(List<Stmt> body, int i) {
    if (i + 1 >= body.size() || !(body.get(i) instanceof Stmt.Conv c) || directConv(c) || planeConv(c)) return null;
    boolean gemm = ConvExpansion.pointwiseBias(c) && packedB.contains(c.weight());
    if (!gemm && !ConvExpansion.depthwiseClamp(c)) return null;
    FusedEpilogue ep = FusedEpilogue.match(p, c, body.get(i + 1));
    return ep != null && (gemm ? ep.gemmExact() : ep.residual() == null) ? ep : null;
  }

  void stmt(Stmt s) {
    switch (s) {
      case Stmt.For f -> {
        if (fastLanes && LaneLoopEmitter.tryEmit(this, f)) return; // vectors over a non-innermost loop (pools)
        IrBuilder.Loop loop = ib.loop(f.var(), ib.i64(0), ib.i64(f.extent()), ib.i64(1));
        Map<String, LLVMValueRef> outer = values;
        values = new HashMap<>(outer);
        values.put(f.var(), loop.iv());
        stmts(f.body());
        values = outer;
        ib.endLoop(loop);
      }
      case Stmt.Let l when l.mutable() -> {
        KType t = l.value().type();
        LLVMValueRef slot = ib.alloca(se.type(t));
        ib.store(se.expr(l.value()), slot, ScalarEmitter.align(t));
        slots.put(l.name(), slot);
      }
      case Stmt.Let l -> values.put(l.name(), se.expr(l.value()));
      case Stmt.Assign a -> {
        LLVMValueRef slot = slots.get(a.name());
        if (slot == null) throw new IllegalStateException("assignment to %" + a.name() + ", which is not a var");
        LLVMValueRef v = se.expr(a.value());
        if (fastReductions) ReductionFlags.mark(a, v); // lets O3 vectorize the reduction loop (FastOps)
        ib.store(v, slot, ScalarEmitter.align(a.value().type()));
      }
      case Stmt.Store st -> {
        KType t = st.buffer().equals(ConvExpansion.COL) ? KType.F32 : p.buffer(st.buffer()).type();
        se.store(st.buffer(), t, se.expr(st.index()), se.expr(Expr.cast(t, st.value())));
      }
      case Stmt.Gemm g -> gemm(g);
      case Stmt.Conv c -> conv(c, "cv" + convs++ + "_");
      case Stmt.CallReference r -> throw new Unsupported("reference call #" + r.ref());
    }
  }

  /** A convolution: the shared im2col routine + GEMM per image and group when it applies, else {@link ConvExpansion}. */
  private void conv(Stmt.Conv c, String t) {
    if (dwConv(c)) {
      dwConv(c, null, ib.i64(0), ib.i64(c.params()[14]));
      return;
    }
    if (directConv(c)) {
      directConv(c, ib.i64(0), ib.i64(c.params()[14]));
      return;
    }
    if (planeConv(c)) {
      planeConv(c, ib.i64(0), ib.i64((long) c.params()[14] * c.params()[15]));
      return;
    }
    if (ConvExpansion.pointwiseBias(c) && packedB.contains(c.weight())) {
      int[] q = c.params();
      long rows = (long) q[0] * q[14] * q[15];
      pointwiseBias(c, ib.i64(0), ib.i64(rows));
      return;
    }
    if (!ConvExpansion.sharedIm2col(c)) {
      stmts(ConvExpansion.expand(c, t));
      return;
    }
    int[] q = c.params();
    int cg = q[1] / q[13];
    stmt(ConvExpansion.biasFill(c, t));
    IrBuilder.Loop img = ib.loop(t + "n", ib.i64(0), ib.i64(q[0]), ib.i64(1));
    IrBuilder.Loop grp = ib.loop(t + "g", ib.i64(0), ib.i64(q[13]), ib.i64(1));
    Map<String, LLVMValueRef> outer = values;
    values = new HashMap<>(outer);
    values.put(t + "n", img.iv());
    values.put(t + "g", grp.iv());
    LLVMValueRef x = address(c.x(), KType.F32, se.expr(ConvExpansion.nhwcXOffset(c, t)));
    im2col.call(ib, x, address(ConvExpansion.COL, KType.F32, ib.i64(0)), q, q[1], cg);
    gemm(ConvExpansion.nhwcGemm(c, t));
    values = outer;
    ib.endLoop(grp);
    ib.endLoop(img);
  }

  /** Whether the convolution goes to a direct kernel ({@code dev.kiln.codegen.llvm.conv.DirectConvEmitter}). */
  boolean directConv(Stmt.Conv c) { return dev.kiln.codegen.llvm.conv.DirectConvEmitter.applies(c.params(), c.nhwc(), gemms.lanes()); }

  /** Output rows [oy0, oy1) of every image of a {@link #directConv} convolution; the weight copy goes to the scratch. */
  void directConv(Stmt.Conv c, LLVMValueRef oy0, LLVMValueRef oy1) {
    direct.call(ib, c.params(), address(c.x(), KType.F32, ib.i64(0)), address(c.weight(), KType.F32, ib.i64(0)),
        c.bias() == null ? null : address(c.bias(), KType.F32, ib.i64(0)), address(c.y(), KType.F32, ib.i64(0)),
        address(ConvExpansion.COL, KType.F32, ib.i64(0)), packedB.contains(c.weight()) ? gemms.nr() : 0, oy0, oy1);
  }

  /** Whether the convolution goes to {@code dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter}. */
  boolean dwConv(Stmt.Conv c) { return !packedB.contains(c.weight()) && dev.kiln.codegen.llvm.conv.DepthwiseConvEmitter.applies(c.params(), c.nhwc()); }

  /** Output rows [oy0, oy1) of every image of a {@link #dwConv} convolution, its fused clamp applied when given. */
  void dwConv(Stmt.Conv c, FusedEpilogue clamp, LLVMValueRef oy0, LLVMValueRef oy1) {
    dw.call(ib, c.params(), address(c.x(), KType.F32, ib.i64(0)), address(c.weight(), KType.F32, ib.i64(0)),
        c.bias() == null ? null : address(c.bias(), KType.F32, ib.i64(0)), address(c.y(), KType.F32, ib.i64(0)),
        address(ConvExpansion.COL, KType.F32, ib.i64(0)), clamp == null ? Float.NEGATIVE_INFINITY : clamp.lo(),
        clamp == null ? Float.POSITIVE_INFINITY : clamp.hi(), oy0, oy1);
  }

  /** Whether the convolution goes to {@code dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter} (its weight packed). */
  boolean planeConv(Stmt.Conv c) {
    return packedB.contains(c.weight())
        && dev.kiln.codegen.llvm.conv.SmallPlaneConvEmitter.applies(c.params(), c.nhwc(), gemms.lanes(), gemms.nr());
  }

  /** Output pixels [p0, p1) of a {@link #planeConv} convolution (the padded image goes to the scratch). */
  void planeConv(Stmt.Conv c, LLVMValueRef p0, LLVMValueRef p1) {
    plane.call(ib, c.params(), address(c.x(), KType.F32, ib.i64(0)), address(c.weight(), KType.F32, ib.i64(0)),
        c.bias() == null ? null : address(c.bias(), KType.F32, ib.i64(0)), address(c.y(), KType.F32, ib.i64(0)),
        address(ConvExpansion.COL, KType.F32, ib.i64(0)), p0, p1);
  }

  /** Rows [r0, r1) of a {@link ConvExpansion#pointwiseBias} convolution: y = bias + x W^T, W packed at init. */
  void pointwiseBias(Stmt.Conv c, LLVMValueRef r0, LLVMValueRef r1) { pointwiseBias(c, r0, r1, null); }

  /** As above, with the epilogue loop after it (residual add, clamp) applied in the GEMM's last store when given. */
  void pointwiseBias(Stmt.Conv c, LLVMValueRef r0, LLVMValueRef r1, FusedEpilogue clamp) {
    int[] q = c.params();
    LLVMValueRef x = address(c.x(), KType.F32, ib.mul(r0, ib.i64(q[1])));
    LLVMValueRef y = address(c.y(), KType.F32, ib.mul(r0, ib.i64(q[4])));
    LLVMValueRef res = clamp == null || clamp.residual() == null ? null : address(clamp.residual(), KType.F32, ib.mul(r0, ib.i64(q[4])));
    gemms.callPackedBias(ib, x, address(c.weight(), KType.F32, ib.i64(0)), y, ib.sub(r1, r0), ib.i64(q[4]), q[1], q[1],
        q[4], work, address(c.bias(), KType.F32, ib.i64(0)), res, clamp == null ? Float.NEGATIVE_INFINITY : clamp.lo(),
        clamp == null ? Float.POSITIVE_INFINITY : clamp.hi());
  }

  /**
   * C = alpha * op(A) op(B) + beta * C with the accumulating GEMM (C += op(A) op(B)): C is first scaled by
   * beta / alpha (zeroed when beta is 0, untouched when the ratio is 1), then accumulated onto, then scaled by alpha
   * when alpha is not 1 (attention's 1/sqrt(d)). Alpha 0 only scales C by beta.
   */
  private void gemm(Stmt.Gemm g) {
    LLVMValueRef c = address(g.c(), KType.F32, se.expr(g.offC()));
    boolean product = g.k() > 0 && g.m() > 0 && g.n() > 0 && g.alpha() != 0f;
    float pre = g.alpha() == 0f ? g.beta() : g.beta() / g.alpha();
    if (pre != 1f) scaleC(g, c, pre);
    if (!product) return;
    LLVMValueRef a = address(g.a(), KType.F32, se.expr(g.offA())), bm = address(g.b(), KType.F32, se.expr(g.offB()));
    gemms.call(ib, g.transA(), g.transB(), a, bm, c, g.m(), ib.i64(g.m()), ib.i64(g.n()), g.k(), g.lda(), g.ldb(), g.ldc(), work,
        packedB.contains(g.b()));
    if (g.alpha() != 1f) scaleC(g, c, g.alpha());
  }

  /** C[i][j] *= factor over the m x n window (a store of 0 when factor is 0, so garbage or NaN is cleared). */
  private void scaleC(Stmt.Gemm g, LLVMValueRef c, float factor) {
    IrBuilder.Loop i = ib.loop("ci", ib.i64(0), ib.i64(g.m()), ib.i64(1));
    IrBuilder.Loop j = ib.loop("cj", ib.i64(0), ib.i64(g.n()), ib.i64(1));
    LLVMValueRef at = ib.gep(m.f32(), c, ib.add(ib.mul(i.iv(), ib.i64(g.ldc())), j.iv()));
    LLVMValueRef v = factor == 0f ? ib.f32(0f) : ib.fmul(ib.load(m.f32(), at, 4), ib.f32(factor));
    ib.store(v, at, 4);
    ib.endLoop(j);
    ib.endLoop(i);
  }
}
