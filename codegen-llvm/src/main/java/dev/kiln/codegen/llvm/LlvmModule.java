package dev.kiln.codegen.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * One LLVM module in its own (ORC thread-safe) context, with the types, declarations and parameter attributes the
 * kernel emitters use. Lifecycle: build functions with {@link IrBuilder}, {@link #verify()}, then either hand it to
 * {@code LlvmJit.add} (which takes ownership) or emit it through {@link LlvmTargetMachine}; always {@link #close()}.
 * Not thread-safe.
 */
public final class LlvmModule implements AutoCloseable {
  private final String name;
  private final LLVMOrcThreadSafeContextRef tsc;
  private final LLVMContextRef ctx;
  private LLVMModuleRef ref;
  private boolean closed;

  /** An empty module named {@code name} (the name only appears in messages and printed IR). */
  public LlvmModule(String name) {
    Llvm.init();
    this.name = name;
    this.tsc = LLVMOrcCreateNewThreadSafeContext();
    this.ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    this.ref = LLVMModuleCreateWithNameInContext(name, ctx);
  }

  private LlvmModule(String name, LLVMOrcThreadSafeContextRef tsc, LLVMModuleRef ref) {
    this.name = name;
    this.tsc = tsc;
    this.ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    this.ref = ref;
  }

  /** Parses textual LLVM IR; a syntax error throws {@link LlvmException} with LLVM's line:column message. */
  public static LlvmModule parse(String ir, String sourceName) {
    Llvm.init();
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef ctx = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, ir.length(), sourceName);
    LLVMModuleRef mod = new LLVMModuleRef();
    BytePointer error = new BytePointer();
    // LLVMParseIRInContext takes ownership of the buffer, also on failure.
    if (LLVMParseIRInContext(ctx, buf, mod, error) != 0) {
      String msg = Llvm.takeMessage(error);
      LLVMOrcDisposeThreadSafeContext(tsc);
      throw new LlvmException(sourceName + ": invalid LLVM IR: " + msg);
    }
    return new LlvmModule(sourceName, tsc, mod);
  }

  public String name() {
    return name;
  }

  // ---- types ----

  public LLVMTypeRef voidType() { return LLVMVoidTypeInContext(ctx); }

  public LLVMTypeRef i1() { return LLVMInt1TypeInContext(ctx); }

  public LLVMTypeRef i32() { return LLVMInt32TypeInContext(ctx); }

  public LLVMTypeRef i64() { return LLVMInt64TypeInContext(ctx); }

  public LLVMTypeRef f32() { return LLVMFloatTypeInContext(ctx); }

  /** The opaque pointer type of address space 0. */
  public LLVMTypeRef ptr() { return LLVMPointerTypeInContext(ctx, 0); }

  public LLVMTypeRef vec(LLVMTypeRef element, int lanes) { return LLVMVectorType(element, lanes); }

  public LLVMTypeRef fnType(LLVMTypeRef ret, LLVMTypeRef... params) {
    PointerPointer<LLVMTypeRef> ps = new PointerPointer<>(params.length);
    for (int i = 0; i < params.length; i++) ps.put(i, params[i]);
    return LLVMFunctionType(ret, ps, params.length, 0);
  }

  // ---- functions and attributes ----

  /** Adds an externally visible function definition (bodies are added with {@link IrBuilder}). */
  public LLVMValueRef addFunction(String fnName, LLVMTypeRef fnType) {
    LLVMValueRef existing = LLVMGetNamedFunction(live(), fnName);
    if (existing != null && !existing.isNull()) {
      throw new IllegalArgumentException("module " + name + " already has a function @" + fnName);
    }
    LLVMValueRef fn = LLVMAddFunction(live(), fnName, fnType);
    addFunctionAttr(fn, "nounwind");
    return fn;
  }

  /** The declaration of {@code fnName} (e.g. an intrinsic such as {@code llvm.fma.v16f32}), added on first use. */
  public LLVMValueRef declare(String fnName, LLVMTypeRef fnType) {
    LLVMValueRef fn = LLVMGetNamedFunction(live(), fnName);
    // JavaCPP returns null (not a null Pointer) when LLVM returns NULL.
    return fn == null || fn.isNull() ? LLVMAddFunction(live(), fnName, fnType) : fn;
  }

  /** Makes {@code fn} private to the module so the optimiser may inline it away completely. */
  public void makeInternal(LLVMValueRef fn) {
    LLVMSetLinkage(fn, LLVMInternalLinkage);
  }

  public void addFunctionAttr(LLVMValueRef fn, String attr) {
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, enumAttr(attr, 0));
  }

  /**
   * Marks pointer parameter {@code index} (0-based) as {@code noalias} (no other parameter reaches the same memory,
   * so loads may be reordered around stores) and, when {@code alignBytes > 0}, {@code align alignBytes}.
   */
  public void bufferParam(LLVMValueRef fn, int index, int alignBytes) {
    LLVMAddAttributeAtIndex(fn, index + 1, enumAttr("noalias", 0));
    LLVMAddAttributeAtIndex(fn, index + 1, enumAttr("nocapture", 0));
    if (alignBytes > 0) LLVMAddAttributeAtIndex(fn, index + 1, enumAttr("align", alignBytes));
  }

  private org.bytedeco.llvm.LLVM.LLVMAttributeRef enumAttr(String attr, long value) {
    int kind = LLVMGetEnumAttributeKindForName(attr, attr.length());
    if (kind == 0) throw new IllegalArgumentException("LLVM has no attribute named " + attr);
    return LLVMCreateEnumAttribute(ctx, kind, value);
  }

  // ---- checking and printing ----

  /** Runs the LLVM verifier; throws {@link LlvmException} naming this module and listing what is broken. */
  public void verify() {
    BytePointer message = new BytePointer();
    boolean broken = LLVMVerifyModule(live(), LLVMReturnStatusAction, message) != 0;
    String text = Llvm.takeMessage(message);
    if (broken) throw new LlvmException("module " + name + " is not valid LLVM IR:\n" + text.strip());
  }

  /** The module as textual LLVM IR. */
  public String print() {
    return Llvm.takeMessage(LLVMPrintModuleToString(live()));
  }

  public LLVMContextRef context() {
    return ctx;
  }

  public LLVMModuleRef ref() {
    return live();
  }

  /** Gives the module to ORC; afterwards this object only keeps (and on close drops) its context reference. */
  LLVMOrcThreadSafeModuleRef takeForJit() {
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(live(), tsc);
    ref = null;
    return tsm;
  }

  private LLVMModuleRef live() {
    if (ref == null) throw new IllegalStateException("module " + name + " was closed or handed to the JIT");
    return ref;
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (ref != null) LLVMDisposeModule(ref);
    ref = null;
    LLVMOrcDisposeThreadSafeContext(tsc);
  }
}
