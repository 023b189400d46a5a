package dev.kiln.codegen.llvm.backend;

import java.lang.invoke.MethodHandle;

/** One step of a compiled model's init or run sequence, executed in order by {@link NativeModel}. */
sealed interface Step {
  /** A run of consecutive native kernels: {@code void symbol(ptr table)}, the table holding every storage pointer. */
  record Native(String symbol, MethodHandle handle, int kernels) implements Step {}

  /** A kernel run on the JVM from its Kernel IR. */
  record Java(JavaKernelRunner runner) implements Step {}

  /** A reference call: one graph node cut out and run by the interpreter. */
  record Reference(dev.kiln.ir.kernel.Stmt.CallReference call) implements Step {}
}
