package dev.kiln.codegen.llvm.gemm;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.List;
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
 * <p>The bias form ({@link #emit(LlvmModule, String, GemmConfig, boolean)} with {@code withBias} true) takes an eighth
 * parameter {@code ptr bias}: when it is not null, {@code C[i][j] = bias[j] + sum_k ...} (C is not read), so a
 * convolution's first depth block needs no bias fill pass over C beforehand; the sum is the same fadd as
 * filling C with the bias and accumulating onto it, so the bits are too.
 */
final class GemmMicroKernel {
  private GemmMicroKernel() {}

  static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg) { return emit(m, name, cfg, false); }

  static LLVMValueRef emit(LlvmModule m, String name, GemmConfig cfg, boolean withBias) {
    int mrMax = cfg.mr(), nv = cfg.nv(), w = cfg.lanes(), nrMax = cfg.nr();
    LLVMTypeRef p = m.ptr(), i64 = m.i64(), f32 = m.f32(), vt = m.vec(f32, w);
    LLVMValueRef fn = withBias
        ? m.addFunction(name, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64, p))
        : m.addFunction(name, m.fnType(m.voidType(), p, p, p, i64, i64, i64, i64));
    m.makeInternal(fn);
    m.bufferParam(fn, 0, 64);
    m.bufferParam(fn, 1, 64);
    m.bufferParam(fn, 2, 4);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef ap = b.param(0), bp = b.param(1), c = b.param(2), ldc = b.param(3), kc = b.param(4);
      LLVMValueRef mr = b.param(5), nr = b.param(6);
      // Where the value added to the sum comes from: C's row, or the bias row when the bias form has one.
      LLVMValueRef bias = withBias ? b.param(7) : null;
      LLVMValueRef fromBias = withBias ? org.bytedeco.llvm.global.LLVM.LLVMBuildIsNotNull(b.raw(), bias, "") : null;
      java.util.function.BiFunction<LLVMValueRef, Integer, LLVMValueRef> base = (cPtr, v) -> !withBias ? cPtr
          : b.select(fromBias, b.gep(f32, bias, b.i64((long) v * w)), cPtr);

      List<LLVMValueRef> zeros = new ArrayList<>();
      for (int i = 0; i < mrMax * nv; i++) zeros.add(b.zero(vt));
      IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1), zeros);
      LLVMValueRef bRow = b.gep(f32, bp, b.mul(k.iv(), b.i64(nrMax)));
      LLVMValueRef aCol = b.gep(f32, ap, b.mul(k.iv(), b.i64(mrMax)));
      LLVMValueRef[] bv = new LLVMValueRef[nv];
      for (int v = 0; v < nv; v++) bv[v] = b.load(vt, b.gep(f32, bRow, b.i64((long) v * w)), 64);
      List<LLVMValueRef> next = new ArrayList<>();
      for (int i = 0; i < mrMax; i++) {
        LLVMValueRef a = b.splat(b.load(f32, b.gep(f32, aCol, b.i64(i)), 4), w);
        for (int v = 0; v < nv; v++) next.add(b.fma(a, bv[v], k.values().get(i * nv + v)));
      }
      b.endLoop(k, next);
      List<LLVMValueRef> acc = k.values();

      LLVMBasicBlockRef full = b.block("full"), edge = b.block("edge"), done = b.block("done");
      b.condBr(b.and(b.eq(mr, b.i64(mrMax)), b.eq(nr, b.i64(nrMax))), full, edge);

      b.at(full);
      for (int i = 0; i < mrMax; i++) {
        LLVMValueRef row = b.gep(f32, c, b.mul(b.i64(i), ldc));
        for (int v = 0; v < nv; v++) {
          LLVMValueRef ptr = b.gep(f32, row, b.i64((long) v * w));
          b.store(b.fadd(b.load(vt, base.apply(ptr, v), 4), acc.get(i * nv + v)), ptr, 4);
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
            LLVMValueRef old = b.maskedLoad(vt, base.apply(ptr, v), mask[v], 4);
            b.maskedStore(b.fadd(old, acc.get(row * nv + v)), ptr, mask[v], 4);
          }
        });
      }
      b.br(done);

      b.at(done);
      b.retVoid();
    }
    return fn;
  }
}
