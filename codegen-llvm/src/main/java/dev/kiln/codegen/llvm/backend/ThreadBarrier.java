package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The threads' barrier, one per module (internal, {@code noinline}):
 *
 * <pre>
 * void kiln_barrier(ptr sync, i32 nthreads)
 *   sync: the shared 128-byte area of the run ({@link #SYNC_BYTES}, zeroed once): i32 arrivals at 0, i32 generation at 64
 * </pre>
 *
 * Sense by generation: each thread reads the generation (acquire), then counts itself in (acq_rel add); the last one
 * resets the count and publishes generation + 1 (release), the others spin on the generation with {@code pause}, and
 * after {@link #SPINS} rounds call {@code sched_yield} so a descheduled partner on a loaded machine gets the core.
 * Returns at once for one thread. The call is opaque to LLVM (it calls libc), so no buffer access moves across it.
 */
final class ThreadBarrier {
  static final String NAME = "kiln_barrier";
  /** Bytes of the shared synchronisation area (two cache lines). */
  static final long SYNC_BYTES = 128;
  static final int SPINS = 256;

  private final LlvmModule m;
  private LLVMValueRef fn;

  ThreadBarrier(LlvmModule m) { this.m = m; }

  /** Emits {@code kiln_barrier(sync, nthreads)} at the builder's position (nthreads an i32). */
  void call(IrBuilder b, LLVMValueRef sync, LLVMValueRef nthreads) {
    if (fn == null) fn = emit();
    b.call(fn, type(), sync, nthreads);
  }

  private LLVMTypeRef type() { return m.fnType(m.voidType(), m.ptr(), m.i32()); }

  private LLVMValueRef emit() {
    LLVMValueRef f = m.addFunction(NAME, type());
    m.addFunctionAttr(f, "noinline");
    m.makeInternal(f);
    LLVMValueRef pause = m.declare("llvm.x86.sse2.pause", m.fnType(m.voidType()));
    LLVMValueRef yield = m.declare("sched_yield", m.fnType(m.i32()));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(f);
      LLVMValueRef sync = b.param(0), n = b.param(1);
      LLVMBasicBlockRef work = b.block("many"), done = b.block("done");
      b.condBr(LLVMBuildICmp(b.raw(), LLVMIntSGT, n, b.i32(1), ""), work, done);
      b.at(work);
      LLVMValueRef count = sync, genPtr = b.gep(LLVMInt8TypeInContext(m.context()), sync, b.i64(64));
      LLVMValueRef gen = atomicLoad(b, genPtr);
      LLVMValueRef old = LLVMBuildAtomicRMW(b.raw(), LLVMAtomicRMWBinOpAdd, count, b.i32(1), LLVMAtomicOrderingAcquireRelease, 0);
      LLVMBasicBlockRef last = b.block("last"), wait = b.block("wait");
      b.condBr(b.eq(old, LLVMBuildSub(b.raw(), n, b.i32(1), "")), last, wait);
      b.at(last);
      LLVMValueRef reset = LLVMBuildStore(b.raw(), b.i32(0), count);
      LLVMSetOrdering(reset, LLVMAtomicOrderingMonotonic);
      LLVMSetAlignment(reset, 4);
      LLVMValueRef publish = LLVMBuildStore(b.raw(), LLVMBuildAdd(b.raw(), gen, b.i32(1), ""), genPtr);
      LLVMSetOrdering(publish, LLVMAtomicOrderingRelease);
      LLVMSetAlignment(publish, 4);
      b.br(done);
      b.at(wait);
      IrBuilder.Loop spin = b.loop("spin", b.i64(0), b.i64(Long.MAX_VALUE), b.i64(1));
      LLVMBasicBlockRef moved = b.block("moved"), still = b.block("still");
      b.condBr(b.eq(atomicLoad(b, genPtr), gen), still, moved);
      b.at(still);
      LLVMBasicBlockRef relax = b.block("relax"), give = b.block("give"), next = b.block("next");
      b.condBr(b.lt(spin.iv(), b.i64(SPINS)), relax, give);
      b.at(relax);
      b.call(pause, m.fnType(m.voidType()));
      b.br(next);
      b.at(give);
      b.call(yield, m.fnType(m.i32()));
      b.br(next);
      b.at(next);
      b.endLoop(spin);
      b.br(done);
      b.at(moved);
      LLVMBuildFence(b.raw(), LLVMAtomicOrderingSequentiallyConsistent, 0, "");
      b.br(done);
      b.at(done);
      b.retVoid();
    }
    return f;
  }

  private LLVMValueRef atomicLoad(IrBuilder b, LLVMValueRef ptr) {
    LLVMValueRef v = LLVMBuildLoad2(b.raw(), m.i32(), ptr, "");
    LLVMSetOrdering(v, LLVMAtomicOrderingAcquire);
    LLVMSetAlignment(v, 4);
    return v;
  }
}
