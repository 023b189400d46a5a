package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.LLVMBuildSExt;
import static org.bytedeco.llvm.global.LLVM.LLVMGetNamedFunction;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Native segment entry points, {@code void kiln_<phase>_segN(ptr table, i32 tid, i32 nthreads)}: every thread of a
 * run calls it with its own table ({@code table[0]} its own workspace, {@code table[1 + i]} storage i, shared, and
 * {@code table[1 + storages]} the shared 128-byte sync area). Kernels call in order in their threaded form; a kernel
 * with less than {@link #MIN_SPLIT_WORK} work ({@link ThreadSplit#work}) runs on thread 0 alone as if it were the only
 * thread (too small to be worth a barrier). Between kernels, {@code kiln_barrier} goes where one kernel reads or
 * writes what an earlier one since the last barrier wrote across threads ({@link Hazards}: two thread-0-only kernels
 * in a row need none).
 */
final class SegmentEmitter {
  /**
   * Kernels with less work than this (multiply-adds or loop iterations) are not split; the system property
   * {@code kiln.llvm.minSplitWork} overrides it at compile time (tests use 0 to split everything).
   */
  static final long MIN_SPLIT_WORK = 1 << 16;

  private SegmentEmitter() {}

  /** Whether a kernel is split over the threads (else thread 0 runs it alone). */
  static boolean splits(Kernel k) { return ThreadSplit.work(k.body()) >= Long.getLong("kiln.llvm.minSplitWork", MIN_SPLIT_WORK); }

  static void emit(LlvmModule m, KernelProgram p, String symbol, List<Kernel> kernels, List<String> fns,
      List<List<String>> params, List<String> storages, ThreadBarrier barrier) {
    LLVMValueRef fn = m.addFunction(symbol, m.fnType(m.voidType(), m.ptr(), m.i32(), m.i32()));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef table = b.param(0), tid = b.param(1), n = b.param(2);
      LLVMValueRef work = b.load(m.ptr(), b.gep(m.ptr(), table, b.i64(0)), 8);
      LLVMValueRef sync = b.load(m.ptr(), b.gep(m.ptr(), table, b.i64(1 + storages.size())), 8);
      LLVMValueRef isZero = b.eq(LLVMBuildSExt(b.raw(), tid, m.i64(), ""), b.i64(0));
      Hazards hazards = new Hazards();
      for (int i = 0; i < fns.size(); i++) {
        Kernel k = kernels.get(i);
        boolean split = splits(k);
        if (hazards.step(ThreadSplit.Access.of(p, k.body()), !split)) barrier.call(b, sync, n);
        List<String> ps = params.get(i);
        LLVMValueRef[] args = new LLVMValueRef[ps.size() + 4];
        LLVMTypeRef[] types = new LLVMTypeRef[args.length];
        for (int j = 0; j < ps.size(); j++) {
          args[j] = b.load(m.ptr(), b.gep(m.ptr(), table, b.i64(1 + storages.indexOf(ps.get(j)))), 8);
          types[j] = m.ptr();
        }
        args[ps.size()] = work;
        args[ps.size() + 1] = sync;
        types[ps.size()] = types[ps.size() + 1] = m.ptr();
        types[ps.size() + 2] = types[ps.size() + 3] = m.i32();
        LLVMValueRef callee = LLVMGetNamedFunction(m.ref(), fns.get(i));
        LLVMTypeRef type = m.fnType(m.voidType(), types);
        if (split) {
          args[ps.size() + 2] = tid;
          args[ps.size() + 3] = n;
          b.call(callee, type, args);
        } else {
          args[ps.size() + 2] = b.i32(0);
          args[ps.size() + 3] = b.i32(1);
          b.ifThen(isZero, () -> b.call(callee, type, args));
        }
      }
      b.retVoid();
    }
  }

  /** The work of the kernels that split, summed: the runtime forks only when it is worth it. */
  static long splitWork(List<Kernel> kernels) {
    long w = 0;
    for (Kernel k : kernels) if (splits(k)) w = Math.min(Long.MAX_VALUE / 2, w + ThreadSplit.work(k.body()));
    return w;
  }
}
