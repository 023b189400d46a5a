package dev.kiln.codegen.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.nio.file.Path;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

/**
 * An LLVM target machine for a {@link TargetSpec}: stamps modules with its triple and data layout, runs the new-PM
 * pipeline ({@code default<O3>}) and writes object files. Code is position independent so the same object links into
 * a shared library. Not thread-safe; {@link #close()} once, after the last use.
 */
public final class LlvmTargetMachine implements AutoCloseable {
  /** The optimisation pipeline run before code generation. */
  public static final String O3 = "default<O3>";

  private final TargetSpec spec;
  private LLVMTargetMachineRef ref;

  public LlvmTargetMachine(TargetSpec spec) {
    Llvm.init();
    this.spec = spec;
    this.ref = create(spec);
  }

  static LLVMTargetMachineRef create(TargetSpec spec) {
    LLVMTargetRef target = new LLVMTargetRef();
    BytePointer error = new BytePointer();
    if (LLVMGetTargetFromTriple(new BytePointer(spec.triple()), target, error) != 0) {
      throw new LlvmException("no LLVM target for triple " + spec.triple() + ": " + Llvm.takeMessage(error));
    }
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, spec.triple(), spec.cpu(), spec.features(),
        LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
    if (tm == null || tm.isNull()) throw new LlvmException("LLVM cannot create a target machine for " + spec);
    return tm;
  }

  public TargetSpec spec() {
    return spec;
  }

  /** Sets the module's triple and data layout to this machine's; call before optimising or emitting. */
  public void configure(LlvmModule module) {
    LLVMSetTarget(module.ref(), spec.triple());
    var layout = LLVMCreateTargetDataLayout(live());
    LLVMSetModuleDataLayout(module.ref(), layout);
    LLVMDisposeTargetData(layout);
  }

  /** Runs {@code pipeline} (e.g. {@link #O3}) on the module with this machine's cost model. */
  public void optimize(LlvmModule module, String pipeline) {
    LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
    try {
      Llvm.check(LLVMRunPasses(module.ref(), pipeline, live(), options), "LLVM pipeline " + pipeline + " failed");
    } finally {
      LLVMDisposePassBuilderOptions(options);
    }
  }

  /** Writes the module as an ELF object file (position independent). */
  public void emitObject(LlvmModule module, Path file) {
    emit(module, file, LLVMObjectFile);
  }

  /** Writes the module as assembly text, to read what the kernels became. */
  public void emitAssembly(LlvmModule module, Path file) {
    emit(module, file, LLVMAssemblyFile);
  }

  private void emit(LlvmModule module, Path file, int kind) {
    BytePointer error = new BytePointer();
    if (LLVMTargetMachineEmitToFile(live(), module.ref(), new BytePointer(file.toString()), kind, error) != 0) {
      throw new LlvmException("LLVM could not write " + file + ": " + Llvm.takeMessage(error));
    }
  }

  LLVMTargetMachineRef live() {
    if (ref == null) throw new IllegalStateException("target machine is closed");
    return ref;
  }

  @Override
  public void close() {
    if (ref != null) LLVMDisposeTargetMachine(ref);
    ref = null;
  }
}
