package dev.kiln.codegen.llvm.gemm;

import static org.bytedeco.llvm.global.LLVM.LLVMBuildFCmp;
import static org.bytedeco.llvm.global.LLVM.LLVMBuildIsNotNull;
import static org.bytedeco.llvm.global.LLVM.LLVMRealOGE;
import static org.bytedeco.llvm.global.LLVM.LLVMRealOLE;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits the register-blocked inner kernel
 * {@code micro(ptr Ap, ptr Bp, ptr C, i64 ldc, i64 kc, i64 mr, i64 nr)}:
 * {@code C[i][j] += sum_k Ap[k][i] * Bp[k][j]} for {@code i < mr <= MR}, {@code j < nr <= NR}, where Ap is one packed
 * MR-row micro-panel (k-major, MR floats per k) and Bp one packed NR-column micro-panel (k-major, NR floats per k).
 *
 * <p>The MR x NV accumulators are loop-carried vectors; per k there are NV aligned vector loads of B, MR scalar
 * loads of A broadcast to all lanes (folded into the FMA as an embedded broadcast on AVX-512) and MR*NV
 * {@code llvm.fma} — written out explicitly so the register tile does not depend on the auto-vectorizer. Full
 * tiles update C with plain unaligned vector loads and stores; edge tiles use masked ones and skip rows past mr.
 *
 * <p>Variants ({@link Form}), parameters appended in this order:
 * <ul>
 *   <li>{@code aInPlace}: {@code i64 lda}; Ap is row-major A itself (element (i, k) at {@code Ap[i*lda + k]}), not a
 *       packed panel. Rows past mr read row mr-1 (their sums are never stored), so nothing past A is touched.
 *   <li>{@code bias}: {@code ptr bias}; when it is not null, {@code C[i][j] = bias[j] + sum_k ...} (C is not read),
 *       the same fadd as filling C with the bias and accumulating onto it, so the bits are too.
 *   <li>{@code residual}: {@code ptr res}; when it is not null, {@code res[i*ldc + j]} is added to the value before
 *       the clamp (a residual add epilogue, the loop's fadd, so its bits).
 *   <li>{@code clamp}: {@code float lo, float hi}; the stored value is {@code minimum(maximum(v, lo), hi)}
 *       ({@code llvm.maximum/minimum}, what the Kernel IR MAX/MIN of a relu/relu6 epilogue loop compile to), so
 *       the epilogue needs no second pass; -inf/+inf make it the identity (NaN and -0 included). Computed as
 *       compare-and-selects, exact for every lo other than -0 and hi other than +0 ({@link #clamp}).
 * </ul>
 * {@code nv} may be below the configuration's (the narrow kernel: one vector for a last panel at most
 * {@code lanes} wide) while B rows keep the packed panel's stride {@code NR}; the sums are the same per lane.
 */
final class GemmMicroKernel {
  private GemmMicroKernel() {}

  /** A micro-kernel variant: vectors per row and the optional parameters. */
  record Form(int nv, boolean aInPlace, boolean bias, boolean residual, boolean clamp) {}

  static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg) { return emit(m, name, cfg, false); }

  static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean withBias) {
    return emit(m, name, cfg, new Form(cfg.nv(), false, withBias, false, false));
  }

  /** The function type of the variant. */
  static LLVMTypeRef type(LlvmModule m, Form f) {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    List<LLVMTypeRef> ps = new ArrayList<>(List.of(p, p, p, i64, i64, i64, i64));
    if (f.aInPlace()) ps.add(i64);
    if (f.bias()) ps.add(p);
    if (f.residual()) ps.add(p);
    if (f.clamp()) {
      ps.add(m.f32());
      ps.add(m.f32());
    }
    return m.fnType(m.voidType(), ps.toArray(LLVMTypeRef[]::new));
  }

  static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, Form form) {
    int mrMax = cfg.mr(), nv = form.nv(), w = cfg.lanes(), nrMax = nv * w, bStride = cfg.nr();
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, w);
    LLVMValueRef fn = m.addFunction(name, type(m, form));
    m.makeInternal(fn);
    m.bufferParam(fn, 0, form.aInPlace() ? 4 : 64);
    m.bufferParam(fn, 1, 64);
    m.bufferParam(fn, 2, 4);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef ap = b.param(0), bp = b.param(1), c = b.param(2), ldc = b.param(3), kc = b.param(4);
      LLVMValueRef mr = b.param(5), nr = b.param(6);
      int next = 7;
      LLVMValueRef lda = form.aInPlace() ? b.param(next++) : null;
      // Where the value added to the sum comes from: C's row, or the bias row when the bias form has one.
      LLVMValueRef bias = form.bias() ? b.param(next++) : null;
      LLVMValueRef res = form.residual() ? b.param(next++) : null;
      LLVMValueRef hasRes = res == null ? null : LLVMBuildIsNotNull(b.raw(), res, "");
      LLVMValueRef lo = form.clamp() ? b.param(next++) : null, hi = form.clamp() ? b.param(next) : null;
      LLVMValueRef fromBias = form.bias() ? LLVMBuildIsNotNull(b.raw(), bias, "") : null;
      BiFunction<LLVMValueRef, Integer, LLVMValueRef> base = (cPtr, v) -> !form.bias() ? cPtr
          : b.select(fromBias, b.gep(f32, bias, b.i64((long) v * w)), cPtr);
      LLVMValueRef loV = lo == null ? null : b.splat(lo, w), hiV = hi == null ? null : b.splat(hi, w);

      LLVMValueRef[] rowA = new LLVMValueRef[mrMax];
      if (form.aInPlace()) {
        LLVMValueRef last = b.sub(mr, b.i64(1));
        for (int i = 0; i < mrMax; i++) rowA[i] = b.gep(f32, ap, b.mul(b.min(b.i64(i), last), lda));
      }

      List<LLVMValueRef> zeros = new ArrayList<>();
      for (int i = 0; i < mrMax * nv; i++) zeros.add(b.zero(vt));
      IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1), zeros);
      LLVMValueRef bRow = b.gep(f32, bp, b.mul(k.iv(), b.i64(bStride)));
      LLVMValueRef aCol = form.aInPlace() ? null : b.gep(f32, ap, b.mul(k.iv(), b.i64(mrMax)));
      LLVMValueRef[] bv = new LLVMValueRef[nv];
      for (int v = 0; v < nv; v++) bv[v] = b.load(vt, b.gep(f32, bRow, b.i64((long) v * w)), 64);
      List<LLVMValueRef> sums = new ArrayList<>();
      for (int i = 0; i < mrMax; i++) {
        LLVMValueRef at = form.aInPlace() ? b.gep(f32, rowA[i], k.iv()) : b.gep(f32, aCol, b.i64(i));
        LLVMValueRef a = b.splat(b.load(f32, at, 4), w);
        for (int v = 0; v < nv; v++) sums.add(b.fma(a, bv[v], k.values().get(i * nv + v)));
      }
      b.endLoop(k, sums);
      List<LLVMValueRef> acc = k.values();

      LLVMBasicBlockRef full = b.block("full"), edge = b.block("edge"), done = b.block("done");
      b.condBr(b.and(b.eq(mr, b.i64(mrMax)), b.eq(nr, b.i64(nrMax))), full, edge);

      b.at(full);
      for (int i = 0; i < mrMax; i++) {
        LLVMValueRef row = b.gep(f32, c, b.mul(b.i64(i), ldc));
        for (int v = 0; v < nv; v++) {
          LLVMValueRef ptr = b.gep(f32, row, b.i64((long) v * w));
          LLVMValueRef sum = b.fadd(b.load(vt, base.apply(ptr, v), 4), acc.get(i * nv + v));
          if (res != null) {
            LLVMValueRef rPtr = b.select(hasRes, b.gep(f32, res, b.add(b.mul(b.i64(i), ldc), b.i64((long) v * w))), ptr);
            sum = b.select(hasRes, b.fadd(sum, b.load(vt, rPtr, 4)), sum);
          }
          b.store(clamp(m, b, sum, loV, hiV), ptr, 4);
        }
      }
      b.br(done);

      b.at(edge);
      LLVMValueRef[] mask = new LLVMValueRef[nv];
      for (int v = 0; v < nv; v++) mask[v] = b.laneMask(w, b.i64((long) v * w), nr);
      for (int i = 0; i < mrMax; i++) {
        int row = i;
        b.ifThen(b.lt(b.i64(row), mr), () -> {
          LLVMValueRef rowPtr = b.gep(f32, c, b.mul(b.i64(row), ldc));
          for (int v = 0; v < nv; v++) {
            LLVMValueRef ptr = b.gep(f32, rowPtr, b.i64((long) v * w));
            LLVMValueRef sum = b.fadd(b.maskedLoad(vt, base.apply(ptr, v), mask[v], 4), acc.get(row * nv + v));
            if (res != null) {
              LLVMValueRef rPtr = b.select(hasRes, b.gep(f32, res, b.add(b.mul(b.i64(row), ldc), b.i64((long) v * w))), ptr);
              sum = b.select(hasRes, b.fadd(sum, b.maskedLoad(vt, rPtr, mask[v], 4)), sum);
            }
            b.maskedStore(clamp(m, b, sum, loV, hiV), ptr, mask[v], 4);
          }
        });
      }
      b.br(done);

      b.at(done);
      b.retVoid();
    }
    return fn;
  }

  /**
   * {@code minimum(maximum(x, lo), hi)} lane-wise, or x when there are no bounds, as two compare-and-selects:
   * {@code x <= lo ? lo : x}, then {@code x >= hi ? hi : x} (NaN compares false and passes through). These are
   * exactly {@code llvm.maximum/minimum} unless lo is -0 or hi is +0 (then a zero of the other sign would pass),
   * which callers exclude; the intrinsics themselves cost several instructions each on AVX-512.
   */
  private static LLVMValueRef clamp(LlvmModule m, IrBuilder b, LLVMValueRef x, LLVMValueRef lo, LLVMValueRef hi) {
    if (lo == null) return x;
    LLVMValueRef up = b.select(LLVMBuildFCmp(b.raw(), LLVMRealOLE, x, lo, ""), lo, x);
    return b.select(LLVMBuildFCmp(b.raw(), LLVMRealOGE, up, hi, ""), hi, up);
  }
}
