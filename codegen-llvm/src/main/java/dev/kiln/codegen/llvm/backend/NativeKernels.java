package dev.kiln.codegen.llvm.backend;

import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.codegen.llvm.gemm.GemmConfig;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Kernel;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * Kernel emission for callers that build their own module and cannot run Java next to the generated code (the C
 * bundle, {@code dev.kiln.codegen.llvm.bundle}): every kernel becomes {@code void fn(ptr s0..sN, ptr work)} exactly
 * as in {@link LlvmBackend}, sharing one GEMM library, but a kernel with no native form is an error naming it
 * instead of a JVM or interpreter fallback.
 *
 * <p>Not thread-safe; one instance per module. Call {@link #emit} for each kernel, then read {@link #scratchBytes}.
 */
public final class NativeKernels {
  private final KernelProgram p;
  private final GemmLibrary gemms;
  private final KernelFunctionEmitter emitter;
  private final long scratchBytes;

  /**
   * @param sized every kernel that will be emitted, not null: the im2col area of the scratch is sized for them
   */
  public NativeKernels(LlvmModule m, KernelProgram p, TargetSpec target, List<Kernel> sized) {
    this.p = p;
    this.gemms = new GemmLibrary(m, GemmConfig.forLanes(target.floatLanes()));
    long col = 0;
    for (Kernel k : sized) col = Math.max(col, colBytes(k.body()));
    this.emitter = new KernelFunctionEmitter(m, p, gemms, gemms.workspaceBytes());
    this.scratchBytes = gemms.workspaceBytes() + (col + 63) / 64 * 64;
  }

  /** Bytes of 64-byte aligned scratch every kernel's {@code work} parameter needs (GEMM packing, then im2col). */
  public long scratchBytes() { return scratchBytes; }

  /**
   * Emits {@code k} as function {@code fn}.
   *
   * @return the storage buffers its pointer parameters stand for, in parameter order ({@code work} follows them)
   * @throws IllegalArgumentException naming the kernel, its op and the reason when it has no native form
   */
  public List<String> emit(String fn, Kernel k) {
    if (k.body().size() == 1 && k.body().get(0) instanceof Stmt.CallReference)
      throw new IllegalArgumentException(describe(k) + " runs on the reference interpreter (no kernel lowering for this op)");
    List<String> params = new ArrayList<>(new LinkedHashSet<>(k.params().stream()
        .filter(n -> p.buffer(n).type() != KType.OBJ).map(n -> p.storageOf(n).name()).toList()));
    try {
      emitter.emit(fn, k, params);
    } catch (Unsupported u) {
      throw new IllegalArgumentException(describe(k) + " has no native form: " + u.getMessage(), u);
    }
    return params;
  }

  /** {@code kernel k7 (nn.relu, from "%7 = nn.relu(%6)")}. */
  public static String describe(Kernel k) {
    return "kernel " + k.name() + " (" + LlvmBackend.kindOf(k) + (k.origin() == null ? "" : ", from \"" + k.origin() + "\"") + ")";
  }

  private static long colBytes(List<Stmt> body) {
    long max = 0;
    for (Stmt s : body) {
      if (s instanceof Stmt.Conv c) max = Math.max(max, 4 * ConvExpansion.colFloats(c));
      else if (s instanceof Stmt.For f) max = Math.max(max, colBytes(f.body()));
    }
    return max;
  }
}
