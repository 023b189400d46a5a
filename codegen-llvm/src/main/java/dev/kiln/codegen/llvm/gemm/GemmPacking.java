package dev.kiln.codegen.llvm.gemm;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits the two packing routines that turn row-major blocks into the micro-kernel's k-major panels, zero-padded to
 * whole tiles so the micro-kernel never reads past a panel:
 * <ul>
 *   <li>{@code packB(ptr B, i64 ldb, i64 kc, i64 nc, ptr Bp)}: panel {@code jp} (columns {@code jp..jp+NR}) at
 *       {@code Bp + jp*kc}, row {@code k} of it at {@code + k*NR}; columns past nc become 0 through masked loads.</li>
 *   <li>{@code packA(ptr A, i64 lda, i64 mc, i64 kc, ptr Ap)}: panel {@code ip} (rows {@code ip..ip+MR}) at
 *       {@code Ap + ip*kc}, element (k, i) at {@code + k*MR + i}; rows past mc become 0.</li>
 * </ul>
 */
final class GemmPacking {
  private GemmPacking() {}

  static LLVMValueRef emitPackB(LlvmModule m, String name, GemmConfig cfg) {
    int w = cfg.lanes(), nv = cfg.nv(), nrMax = cfg.nr();
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, w);
    LLVMValueRef fn = declarePack(m, name);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef src = b.param(0), ldb = b.param(1), kc = b.param(2), nc = b.param(3), dst = b.param(4);
      IrBuilder.Loop jp = b.loop("jp", b.i64(0), nc, b.i64(nrMax));
      LLVMValueRef panel = b.gep(f32, dst, b.mul(jp.iv(), kc));
      LLVMValueRef left = b.sub(nc, jp.iv());
      LLVMValueRef[] mask = new LLVMValueRef[nv];
      for (int v = 0; v < nv; v++) mask[v] = b.laneMask(w, b.i64((long) v * w), left);
      IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1));
      LLVMValueRef from = b.gep(f32, src, b.add(b.mul(k.iv(), ldb), jp.iv()));
      LLVMValueRef to = b.gep(f32, panel, b.mul(k.iv(), b.i64(nrMax)));
      for (int v = 0; v < nv; v++) {
        LLVMValueRef x = b.maskedLoad(vt, b.gep(f32, from, b.i64((long) v * w)), mask[v], 4);
        b.store(x, b.gep(f32, to, b.i64((long) v * w)), 64);
      }
      b.endLoop(k);
      b.endLoop(jp);
      b.retVoid();
    }
    return fn;
  }

  static LLVMValueRef emitPackA(LlvmModule m, String name, GemmConfig cfg) {
    int mrMax = cfg.mr();
    LLVMTypeRef f32 = m.f32();
    LLVMValueRef fn = declarePack(m, name);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef src = b.param(0), lda = b.param(1), mc = b.param(2), kc = b.param(3), dst = b.param(4);
      IrBuilder.Loop ip = b.loop("ip", b.i64(0), mc, b.i64(mrMax));
      LLVMValueRef panel = b.gep(f32, dst, b.mul(ip.iv(), kc));
      IrBuilder.Loop i = b.loop("i", b.i64(0), b.i64(mrMax), b.i64(1));
      LLVMValueRef row = b.add(ip.iv(), i.iv());
      LLVMValueRef out = b.gep(f32, panel, i.iv());
      b.ifThen(b.lt(row, mc), () -> {
        LLVMValueRef in = b.gep(f32, src, b.mul(row, lda));
        IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1));
        b.store(b.load(f32, b.gep(f32, in, k.iv()), 4), b.gep(f32, out, b.mul(k.iv(), b.i64(mrMax))), 4);
        b.endLoop(k);
      });
      b.ifThen(b.ge(row, mc), () -> {
        IrBuilder.Loop k = b.loop("z", b.i64(0), kc, b.i64(1));
        b.store(b.f32(0f), b.gep(f32, out, b.mul(k.iv(), b.i64(mrMax))), 4);
        b.endLoop(k);
      });
      b.endLoop(i);
      b.endLoop(ip);
      b.retVoid();
    }
    return fn;
  }

  /**
   * {@code packAT(ptr A, i64 lda, i64 mc, i64 kc, ptr Ap)} for a transposed A (element (i, k) at {@code A[k*lda+i]}):
   * the same panels as packA; rows past mc read a clamped row and store 0 (branch-free).
   */
  static LLVMValueRef emitPackAT(LlvmModule m, String name, GemmConfig cfg) {
    int mrMax = cfg.mr();
    LLVMTypeRef f32 = m.f32();
    LLVMValueRef fn = declarePack(m, name);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef src = b.param(0), lda = b.param(1), mc = b.param(2), kc = b.param(3), dst = b.param(4);
      LLVMValueRef last = b.sub(mc, b.i64(1));
      IrBuilder.Loop ip = b.loop("ip", b.i64(0), mc, b.i64(mrMax));
      LLVMValueRef panel = b.gep(f32, dst, b.mul(ip.iv(), kc));
      IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1));
      LLVMValueRef in = b.gep(f32, src, b.mul(k.iv(), lda));
      LLVMValueRef out = b.gep(f32, panel, b.mul(k.iv(), b.i64(mrMax)));
      IrBuilder.Loop i = b.loop("i", b.i64(0), b.i64(mrMax), b.i64(1));
      LLVMValueRef row = b.add(ip.iv(), i.iv());
      LLVMValueRef v = b.load(f32, b.gep(f32, in, b.min(row, last)), 4);
      b.store(b.select(b.lt(row, mc), v, b.f32(0f)), b.gep(f32, out, i.iv()), 4);
      b.endLoop(i);
      b.endLoop(k);
      b.endLoop(ip);
      b.retVoid();
    }
    return fn;
  }

  /**
   * {@code packBT(ptr B, i64 ldb, i64 kc, i64 nc, ptr Bp)} for a transposed B (element (k, j) at {@code B[j*ldb+k]}):
   * the same panels as packB, read column by column (contiguous in B); columns past nc store 0.
   */
  static LLVMValueRef emitPackBT(LlvmModule m, String name, GemmConfig cfg) {
    int nrMax = cfg.nr();
    LLVMTypeRef f32 = m.f32();
    LLVMValueRef fn = declarePack(m, name);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef src = b.param(0), ldb = b.param(1), kc = b.param(2), nc = b.param(3), dst = b.param(4);
      LLVMValueRef last = b.sub(nc, b.i64(1));
      IrBuilder.Loop jp = b.loop("jp", b.i64(0), nc, b.i64(nrMax));
      LLVMValueRef panel = b.gep(f32, dst, b.mul(jp.iv(), kc));
      IrBuilder.Loop j = b.loop("j", b.i64(0), b.i64(nrMax), b.i64(1));
      LLVMValueRef col = b.add(jp.iv(), j.iv());
      LLVMValueRef in = b.gep(f32, src, b.mul(b.min(col, last), ldb));
      LLVMValueRef inside = b.lt(col, nc);
      IrBuilder.Loop k = b.loop("k", b.i64(0), kc, b.i64(1));
      LLVMValueRef v = b.load(f32, b.gep(f32, in, k.iv()), 4);
      b.store(b.select(inside, v, b.f32(0f)), b.gep(f32, panel, b.add(b.mul(k.iv(), b.i64(nrMax)), j.iv())), 4);
      b.endLoop(k);
      b.endLoop(j);
      b.endLoop(jp);
      b.retVoid();
    }
    return fn;
  }

  /**
   * Declares an internal packing routine {@code void name(ptr src, i64 ld, i64 rows, i64 cols, ptr dst)}: the
   * source aligned to 4 bytes, the packed panels to 64.
   */
  private static LLVMValueRef declarePack(LlvmModule m, String name) {
    LLVMTypeRef p = m.ptr(), i64 = m.i64();
    LLVMValueRef fn = m.addFunction(name, m.fnType(m.voidType(), p, i64, i64, i64, p));
    m.makeInternal(fn);
    m.bufferParam(fn, 0, 4);
    m.bufferParam(fn, 4, 64);
    return fn;
  }
}
