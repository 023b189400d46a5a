package dev.kiln.codegen.llvm.bundle;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KernelProgram;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The exported C entry point of a bundle:
 *
 * <pre>
 * int NAME_run(const void *weights, void *workspace, const T *in0, ..., T *out0, ...)
 * </pre>
 *
 * It returns {@link #ERR_WEIGHTS_ALIGN} or {@link #ERR_WORKSPACE_ALIGN} when a region is not 64-byte aligned (the
 * kernels assume it), {@link #ERR_NULL} for a null input or output, else copies each input into its workspace slot,
 * calls every run kernel with pointers into the two regions ({@link BundleLayout}), copies each output out and
 * returns {@link #OK}. Caller tensors are copied rather than handed to the kernels so that they need no alignment.
 * Nothing is kept between calls: threads may run at once, each with its own workspace.
 */
final class BundleEntryEmitter {
  static final int OK = 0, ERR_WEIGHTS_ALIGN = 1, ERR_WORKSPACE_ALIGN = 2, ERR_NULL = 3;

  private BundleEntryEmitter() {}

  /**
   * @param kernels the emitted run kernels' function names, in run order
   * @param params for each, the storages its pointer parameters stand for (the workspace pointer follows them)
   */
  static void emit(LlvmModule m, String symbol, KernelProgram p, BundleLayout layout, List<String> kernels,
      List<List<String>> params) {
    int ins = p.inputs().size(), outs = p.outputs().size();
    LLVMTypeRef[] types = new LLVMTypeRef[2 + ins + outs];
    java.util.Arrays.fill(types, m.ptr());
    LLVMValueRef fn = m.addFunction(symbol, m.fnType(m.i32(), types));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      LLVMValueRef weights = b.param(0), work = b.param(1);
      if (layout.weightsBytes() > 0) failUnless(b, aligned(b, weights), ERR_WEIGHTS_ALIGN);
      failUnless(b, aligned(b, work), ERR_WORKSPACE_ALIGN);
      for (int i = 2; i < types.length; i++)
        failUnless(b, LLVMBuildIsNotNull(b.raw(), b.param(i), ""), ERR_NULL);

      for (int i = 0; i < ins; i++) {
        KBuffer s = p.storageOf(p.inputs().get(i));
        copy(b, storage(b, layout, s.name(), weights, work), BundleLayout.ALIGN, b.param(2 + i), 1, BundleLayout.bytes(s));
      }
      for (int k = 0; k < kernels.size(); k++) {
        List<String> ps = params.get(k);
        LLVMValueRef[] args = new LLVMValueRef[ps.size() + 1];
        LLVMTypeRef[] argTypes = new LLVMTypeRef[args.length];
        for (int j = 0; j < ps.size(); j++) args[j] = storage(b, layout, ps.get(j), weights, work);
        args[ps.size()] = work;
        java.util.Arrays.fill(argTypes, m.ptr());
        b.call(LLVMGetNamedFunction(m.ref(), kernels.get(k)), m.fnType(m.voidType(), argTypes), args);
      }
      for (int o = 0; o < outs; o++) {
        String buffer = p.outputs().get(o);
        KBuffer s = p.storageOf(buffer);
        copy(b, b.param(2 + ins + o), 1, storage(b, layout, s.name(), weights, work), BundleLayout.ALIGN,
            BundleLayout.bytes(p.buffer(buffer)));
      }
      b.ret(b.i32(OK));
    }
  }

  /** {@code (ptr & 63) == 0}. */
  private static LLVMValueRef aligned(IrBuilder b, LLVMValueRef ptr) {
    LLVMValueRef bits = LLVMBuildPtrToInt(b.raw(), ptr, b.module().i64(), "");
    return b.eq(b.and(bits, b.i64(BundleLayout.ALIGN - 1)), b.i64(0));
  }

  /** Continues when {@code ok}, else returns {@code code}. */
  private static void failUnless(IrBuilder b, LLVMValueRef ok, int code) {
    LLVMBasicBlockRef fail = b.block("fail" + code), cont = b.block("ok");
    b.condBr(ok, cont, fail);
    b.at(fail);
    b.ret(b.i32(code));
    b.at(cont);
  }

  private static LLVMValueRef storage(IrBuilder b, BundleLayout layout, String name, LLVMValueRef weights, LLVMValueRef work) {
    BundleLayout.Placement pl = layout.of(name);
    LLVMValueRef base = pl.region() == BundleLayout.Region.WEIGHTS ? weights : work;
    return b.gep(LLVMInt8TypeInContext(b.module().context()), base, b.i64(pl.offset()));
  }

  private static void copy(IrBuilder b, LLVMValueRef dst, int dstAlign, LLVMValueRef src, int srcAlign, long bytes) {
    if (bytes > 0) LLVMBuildMemCpy(b.raw(), dst, dstAlign, src, srcAlign, b.i64(bytes));
  }
}
