package dev.kiln.codegen.llvm.bench;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits {@code float NAME(i64 n, float x)}: {@code n} rounds of {@link #CHAINS} independent vector FMA chains and no
 * memory traffic, the machine's sustained FMA throughput against which the GEMM is judged. Chains outnumber FMA
 * latency x pipes (4 x 2 on Zen 4), so the loop is throughput bound.
 */
final class FmaPeakKernel {
  static final int CHAINS = 12;

  private FmaPeakKernel() {}

  /** Floating-point operations done by one call with {@code n} rounds at {@code lanes} floats per vector. */
  static double flops(long n, int lanes) {
    return 2.0 * n * CHAINS * lanes;
  }

  static void emit(LlvmModule m, String name, int lanes) {
    LLVMTypeRef f32 = m.f32(), vt = m.vec(f32, lanes);
    LLVMValueRef fn = m.addFunction(name, m.fnType(f32, m.i64(), f32));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef x = b.splat(b.param(1), lanes), scale = b.splat(b.f32(0.999f), lanes);
      List<LLVMValueRef> init = new ArrayList<>();
      for (int i = 0; i < CHAINS; i++) init.add(x);
      IrBuilder.Loop loop = b.loop("round", b.i64(0), b.param(0), b.i64(1), init);
      List<LLVMValueRef> next = new ArrayList<>();
      for (LLVMValueRef acc : loop.values()) next.add(b.fma(acc, scale, x));
      b.endLoop(loop, next);
      LLVMValueRef sum = loop.values().getFirst();
      for (int i = 1; i < CHAINS; i++) sum = b.fadd(sum, loop.values().get(i));
      b.ret(b.extract(sum, 0));
    }
  }
}
