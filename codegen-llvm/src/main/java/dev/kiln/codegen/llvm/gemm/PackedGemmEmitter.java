package dev.kiln.codegen.llvm.gemm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.lang.foreign.FunctionDescriptor;
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
 * result is bit-identical; only the per-call packing of B is gone. A column offset that is a multiple of NR is the
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

  /** Emits {@code name} and internal helpers {@code name.*}; {@code work} needs {@link GemmConfig#workspaceBytes()}. */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA) {
    return emit(m, name, cfg, transA, false);
  }

  /**
   * With {@code withBias}, the function takes a tenth parameter {@code ptr bias} (may be null): when present, C is
   * not read in the first depth block but set to bias[j] plus the product ({@link GemmMicroKernel}), so
   * {@code C = bias + op(A) B} in one pass, bit-identical to a bias fill followed by the accumulating product.
   */
  public static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean transA, boolean withBias) {
    LLVMValueRef micro = GemmMicroKernel.emit(m, name + ".micro", cfg, withBias);
    LLVMValueRef packA = transA ? GemmPacking.emitPackAT(m, name + ".packA", cfg) : GemmPacking.emitPackA(m, name + ".packA", cfg);
    LLVMTypeRef p = m.ptr(), i64 = m.i64(), f32 = m.f32(), v = m.voidType();
    LLVMTypeRef microT = withBias ? m.fnType(v, p, p, p, i64, i64, i64, i64, p) : m.fnType(v, p, p, p, i64, i64, i64, i64);
    LLVMTypeRef packT = m.fnType(v, p, i64, i64, i64, p);

    LLVMValueRef fn = withBias ? m.addFunction(name, m.fnType(v, p, p, p, i64, i64, i64, i64, i64, p, p))
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
      IrBuilder.Loop pc = b.loop("pc", b.i64(0), kk, b.i64(cfg.kc()));
      LLVMValueRef kc = b.min(b.i64(cfg.kc()), b.sub(kk, pc.iv()));
      IrBuilder.Loop ic = b.loop("ic", b.i64(0), mm, b.i64(cfg.mc()));
      LLVMValueRef mc = b.min(b.i64(cfg.mc()), b.sub(mm, ic.iv()));
      LLVMValueRef aStart = transA ? b.add(b.mul(pc.iv(), lda), ic.iv()) : b.add(b.mul(ic.iv(), lda), pc.iv());
      b.call(packA, packT, b.gep(f32, a, aStart), lda, mc, kc, ap);
      IrBuilder.Loop jr = b.loop("jr", b.i64(0), nc, nr);
      // the KC slice of panel (jc + jr) / NR: panel start (jc + jr) * K, slice start pc * NR
      LLVMValueRef bSlice = b.gep(f32, bp, b.add(b.mul(b.add(jc.iv(), jr.iv()), kk), b.mul(pc.iv(), nr)));
      IrBuilder.Loop ir = b.loop("ir", b.i64(0), mc, mr);
      LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(b.add(ic.iv(), ir.iv()), ldc), b.add(jc.iv(), jr.iv())));
      LLVMValueRef aTile = b.gep(f32, ap, b.mul(ir.iv(), kc));
      LLVMValueRef rows = b.min(mr, b.sub(mc, ir.iv())), cols = b.min(nr, b.sub(nc, jr.iv()));
      if (withBias) {
        LLVMValueRef bias = b.param(9);
        LLVMValueRef first = b.and(b.eq(pc.iv(), b.i64(0)), org.bytedeco.llvm.global.LLVM.LLVMBuildIsNotNull(b.raw(), bias, ""));
        LLVMValueRef biasTile = b.select(first, b.gep(f32, bias, b.add(jc.iv(), jr.iv())), org.bytedeco.llvm.global.LLVM.LLVMConstPointerNull(p));
        b.call(micro, microT, aTile, bSlice, cTile, ldc, kc, rows, cols, biasTile);
      } else {
        b.call(micro, microT, aTile, bSlice, cTile, ldc, kc, rows, cols);
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
