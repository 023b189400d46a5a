package dev.kiln.codegen.llvm.gemm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import static org.bytedeco.llvm.global.LLVM.LLVMBuildIsNotNull;
import static org.bytedeco.llvm.global.LLVM.LLVMConstPointerNull;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.lang.foreign.FunctionDescriptor;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The SGEMM of {@link GemmEmitter} with B already packed (a weight, packed once at init):
 * <pre>
 *   void NAME(ptr A, ptr Bp, ptr C, i64 M, i64 N, i64 K, i64 lda, i64 ldc, ptr work)
 *     C[i*ldc + j] += sum_k A(i, k) * B(k, j)        A row-major (or transposed, {@code transA}), B packed:
 *   B(k, j) = Bp[(j / NR) * NR * K + k * NR + j % NR],  columns N..roundUp(N, NR) zero
 * </pre>
 * That is B cut into NR-wide column panels of the full depth, each k-major ({@link #packedIndex}). One KC-deep slice
 * of a panel is then exactly the micro-panel {@code packB} would have written for that (jc, pc) block, so the loop
 * nest (jc, pc, ic with A packed, jr, ir) and the micro-kernel calls are the same as the unpacked GEMM's and the
 * result is bit-identical; only the per-call packing of B is gone. A row-major A is read in place
 * ({@link #A_IN_PLACE}) and a last panel at most one vector wide takes a one-vector micro-kernel ({@link #NARROW});
 * neither changes a bit. A column offset that is a multiple of NR is the
 * pointer offset {@code j0 * K}, so threads may split columns (by NR multiples) as well as rows. {@code Bp} must be
 * 64-byte aligned.
 */
public final class PackedGemmEmitter {
  /** The C signature of the emitted function. */
  public static final FunctionDescriptor DESCRIPTOR = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS,
      JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS);

  private PackedGemmEmitter() {}

  /** Floats of the packed form of a K x N matrix for micro-tiles {@code nr} wide. */
  public static long packedFloats(long k, long n, int nr) { return (n + nr - 1) / nr * nr * k; }

  /** Position of element (k, j) of a K-deep matrix in its packed form. */
  public static long packedIndex(long k, long j, long depth, int nr) { return j / nr * nr * depth + k * nr + j % nr; }

  /**
   * Row-major A read in place by the micro-kernel instead of packed per (ic, pc) block ({@code
   * -Dkiln.llvm.gemmAInPlace=false}: pack, for measuring). Packing A is a scalar transposing copy of all of A per
   * call, as costly as the arithmetic when N is one or two tiles wide (mobilenet's 1x1 convs to 16 or 24 channels);
   * the products and their order are the same, so are the bits.
   */
  public static final boolean A_IN_PLACE = !"false".equals(System.getProperty("kiln.llvm.gemmAInPlace"));

  /**
   * A last column panel at most one vector wide goes to a one-vector micro-kernel ({@code
   * -Dkiln.llvm.gemmNarrow=false}: the full-width kernel with masked edges), so N = 16 or 144 on AVX-512 does no
   * FMAs on padding columns; same products per lane, same bits.
   */
  public static final boolean NARROW = !"false".equals(System.getProperty("kiln.llvm.gemmNarrow"));

  /** C signature of the bias + clamp form: {@link #DESCRIPTOR} then {@code ptr bias, float lo, float hi}. */
  public static final FunctionDescriptor BIAS_CLAMP_DESCRIPTOR = DESCRIPTOR.appendArgumentLayouts(ADDRESS,
      java.lang.foreign.ValueLayout.JAVA_FLOAT, java.lang.foreign.ValueLayout.JAVA_FLOAT);

  /** C signature of the residual form: {@link #DESCRIPTOR} then {@code ptr bias, ptr res, float lo, float hi}. */
  public static final FunctionDescriptor RESIDUAL_DESCRIPTOR = DESCRIPTOR.appendArgumentLayouts(ADDRESS, ADDRESS,
      java.lang.foreign.ValueLayout.JAVA_FLOAT, java.lang.foreign.ValueLayout.JAVA_FLOAT);

  /** Emits {@code name} and internal helpers {@code name.*}; {@code work} needs {@link GemmConfig#workspaceBytes()}. */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA) {
    return emit(m, name, cfg, transA, false);
  }

  /**
   * With {@code withBias}, the function takes three more parameters {@code ptr bias, float lo, float hi}
   * ({@link #BIAS_CLAMP_DESCRIPTOR}): when bias is not null, C is not read in the first depth block but set to
   * bias[j] plus the product ({@link GemmMicroKernel}), so {@code C = bias + op(A) B} in one pass, bit-identical to a
   * bias fill followed by the accumulating product; the last depth block stores {@code min(max(C, lo), hi)}
   * (exactly {@code llvm.maximum/minimum} for lo other than -0 and hi other than +0; -inf and +inf leave C as it is),
   * a relu or relu6 epilogue without its own pass.
   */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA, boolean withBias) {
    return emit(m, name, cfg, transA, withBias, A_IN_PLACE && !transA, NARROW);
  }

  /** As above with the A-in-place and narrow-panel choices explicit (tests compare them with the packing forms). */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA, boolean withBias,
      boolean aInPlace, boolean narrow) {
    return emit(m, name, cfg, transA, withBias, false, aInPlace, narrow);
  }

  /**
   * The bias form with a residual: parameters {@code ptr bias, ptr res, float lo, float hi} after {@code work}
   * ({@link #RESIDUAL_DESCRIPTOR}); the last depth block stores {@code min(max(C + res, lo), hi)} (res laid out like
   * C, rows ldc apart; a null res adds nothing), a residual add epilogue without its own pass.
   */
  public static LLVMValueRef emitResidual(LlvmModule m, String name, GemmConfig cfg) {
    return emit(m, name, cfg, false, true, true, A_IN_PLACE, NARROW);
  }

  /** As {@link #emitResidual} with the A-in-place and narrow-panel choices explicit. */
  public static LLVMValueRef emitResidual(LlvmModule m, String name, GemmConfig cfg, boolean aInPlace, boolean narrow) {
    return emit(m, name, cfg, false, true, true, aInPlace, narrow);
  }

  private static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA, boolean withBias,
      boolean residual, boolean aInPlace, boolean narrow) {
    if (aInPlace && transA) throw new IllegalArgumentException("A in place needs a row-major A");
    narrow &= cfg.nv() > 1;
    GemmMicroKernel.Form wide = new GemmMicroKernel.Form(cfg.nv(), aInPlace, withBias, residual, withBias);
    GemmMicroKernel.Form thin = new GemmMicroKernel.Form(1, aInPlace, withBias, residual, withBias);
    LLVMValueRef micro = GemmMicroKernel.emit(m, name + ".micro", cfg, wide);
    LLVMValueRef microThin = narrow ? GemmMicroKernel.emit(m, name + ".micro1", cfg, thin) : null;
    LLVMValueRef packA = aInPlace ? null
        : transA ? GemmPacking.emitPackAT(m, name + ".packA", cfg) : GemmPacking.emitPackA(m, name + ".packA", cfg);
    LLVMTypeRef p = m.ptr(), i64 = m.i64(), f32 = m.f32(), v = m.voidType();
    LLVMTypeRef microT = GemmMicroKernel.type(m, wide), microThinT = GemmMicroKernel.type(m, thin);
    LLVMTypeRef packT = m.fnType(v, p, i64, i64, i64, p);

    LLVMValueRef fn = residual ? m.addFunction(name, m.fnType(v, p, p, p, i64, i64, i64, i64, i64, p, p, p, f32, f32))
        : withBias ? m.addFunction(name, m.fnType(v, p, p, p, i64, i64, i64, i64, i64, p, p, f32, f32))
        : m.addFunction(name, m.fnType(v, p, p, p, i64, i64, i64, i64, i64, p));
    m.bufferParam(fn, 0, 4);
    m.bufferParam(fn, 1, 64);
    m.bufferParam(fn, 2, 4);
    m.bufferParam(fn, 8, 64);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef a = b.param(0), bp = b.param(1), c = b.param(2);
      LLVMValueRef mm = b.param(3), nn = b.param(4), kk = b.param(5), lda = b.param(6), ldc = b.param(7), ap = b.param(8);
      LLVMValueRef mr = b.i64(cfg.mr()), nr = b.i64(cfg.nr());

      IrBuilder.Loop jc = b.loop("jc", b.i64(0), nn, b.i64(cfg.nc()));
      LLVMValueRef nc = b.min(b.i64(cfg.nc()), b.sub(nn, jc.iv()));
      LLVMValueRef kcStep = GemmEmitter.depthStep(b, cfg, kk);
      IrBuilder.Loop pc = b.loop("pc", b.i64(0), kk, kcStep);
      LLVMValueRef kc = b.min(kcStep, b.sub(kk, pc.iv()));
      // bias form: the bias replaces C in the first depth block, the clamp bounds apply in the last one
      LLVMValueRef first = null, last = null, lo = null, hi = null;
      int bounds = residual ? 11 : 10;
      if (withBias) {
        first = b.and(b.eq(pc.iv(), b.i64(0)), LLVMBuildIsNotNull(b.raw(), b.param(9), ""));
        last = b.ge(b.add(pc.iv(), kc), kk);
        lo = b.select(last, b.param(bounds), b.f32(Float.NEGATIVE_INFINITY));
        hi = b.select(last, b.param(bounds + 1), b.f32(Float.POSITIVE_INFINITY));
      }
      IrBuilder.Loop ic = b.loop("ic", b.i64(0), mm, b.i64(cfg.mc()));
      LLVMValueRef mc = b.min(b.i64(cfg.mc()), b.sub(mm, ic.iv()));
      LLVMValueRef aStart = transA ? b.add(b.mul(pc.iv(), lda), ic.iv()) : b.add(b.mul(ic.iv(), lda), pc.iv());
      if (!aInPlace) b.call(packA, packT, b.gep(f32, a, aStart), lda, mc, kc, ap);
      IrBuilder.Loop jr = b.loop("jr", b.i64(0), nc, nr);
      // the KC slice of panel (jc + jr) / NR: panel start (jc + jr) * K, slice start pc * NR
      LLVMValueRef bSlice = b.gep(f32, bp, b.add(b.mul(b.add(jc.iv(), jr.iv()), kk), b.mul(pc.iv(), nr)));
      LLVMValueRef cols = b.min(nr, b.sub(nc, jr.iv()));
      LLVMValueRef biasTile = null;
      if (withBias) {
        biasTile = b.select(first, b.gep(f32, b.param(9), b.add(jc.iv(), jr.iv())), LLVMConstPointerNull(p));
      }
      LLVMValueRef useThin = narrow ? b.lt(cols, b.i64(cfg.lanes() + 1L)) : null;
      IrBuilder.Loop ir = b.loop("ir", b.i64(0), mc, mr);
      LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(b.add(ic.iv(), ir.iv()), ldc), b.add(jc.iv(), jr.iv())));
      LLVMValueRef aTile = aInPlace ? b.gep(f32, a, b.add(b.mul(b.add(ic.iv(), ir.iv()), lda), pc.iv()))
          : b.gep(f32, ap, b.mul(ir.iv(), kc));
      LLVMValueRef rows = b.min(mr, b.sub(mc, ir.iv()));
      List<LLVMValueRef> args = new ArrayList<>(List.of(aTile, bSlice, cTile, ldc, kc, rows, cols));
      if (aInPlace) args.add(lda);
      if (withBias) {
        args.add(biasTile);
        if (residual) {
          LLVMValueRef resTile = b.gep(f32, b.param(10), b.add(b.mul(b.add(ic.iv(), ir.iv()), ldc), b.add(jc.iv(), jr.iv())));
          LLVMValueRef useRes = b.and(last, LLVMBuildIsNotNull(b.raw(), b.param(10), ""));
          args.add(b.select(useRes, resTile, LLVMConstPointerNull(p)));
        }
        args.add(lo);
        args.add(hi);
      }
      LLVMValueRef[] av = args.toArray(LLVMValueRef[]::new);
      if (narrow) {
        LLVMBasicBlockRef thinB = b.block("thin"), wideB = b.block("wide"), joined = b.block("tile.done");
        b.condBr(useThin, thinB, wideB);
        b.at(thinB);
        b.call(microThin, microThinT, av);
        b.br(joined);
        b.at(wideB);
        b.call(micro, microT, av);
        b.br(joined);
        b.at(joined);
      } else {
        b.call(micro, microT, av);
      }
      b.endLoop(ir);
      b.endLoop(jr);
      b.endLoop(ic);
      b.endLoop(pc);
      b.endLoop(jc);
      b.retVoid();
    }
    return fn;
  }
}
