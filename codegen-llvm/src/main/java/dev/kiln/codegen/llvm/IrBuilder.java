package dev.kiln.codegen.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Instruction building for one {@link LlvmModule}: integer index arithmetic (nsw, since every index is a
 * non-negative i64 far from overflow), aligned loads and stores, vector splats, {@code llvm.fma} and masked memory
 * intrinsics, and structured counted loops with loop-carried values. Call {@link #enter} or {@link #at} before
 * emitting; not thread-safe; {@link #close()} when done.
 */
public final class IrBuilder implements AutoCloseable {
  private final LlvmModule m;
  private final LLVMBuilderRef b;
  private LLVMValueRef fn;

  public IrBuilder(LlvmModule module) {
    this.m = module;
    this.b = LLVMCreateBuilderInContext(module.context());
  }

  public LlvmModule module() { return m; }

  /** The underlying LLVM builder, for instructions this class has no helper for (stays owned by this object). */
  public LLVMBuilderRef raw() { return b; }

  /** The function being emitted (set by {@link #enter}). */
  public LLVMValueRef function() { return fn; }

  /**
   * A stack slot of type {@code t} placed at the start of the entry block (where mem2reg/SROA promote it to SSA
   * values); the builder's position is unchanged.
   */
  public LLVMValueRef alloca(LLVMTypeRef t) {
    LLVMBuilderRef tmp = LLVMCreateBuilderInContext(m.context());
    try {
      LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(fn);
      LLVMValueRef first = LLVMGetFirstInstruction(entry);
      if (first == null || first.isNull()) LLVMPositionBuilderAtEnd(tmp, entry);
      else LLVMPositionBuilderBefore(tmp, first);
      return LLVMBuildAlloca(tmp, t, "");
    } finally {
      LLVMDisposeBuilder(tmp);
    }
  }

  /** Starts the body of {@code function}: creates its entry block and positions there. */
  public void enter(LLVMValueRef function) {
    fn = function;
    at(block("entry"));
  }

  /** A new basic block at the end of the current function. */
  public LLVMBasicBlockRef block(String name) {
    return LLVMAppendBasicBlockInContext(m.context(), fn, name);
  }

  public void at(LLVMBasicBlockRef bb) { LLVMPositionBuilderAtEnd(b, bb); }

  public LLVMBasicBlockRef current() { return LLVMGetInsertBlock(b); }

  public LLVMValueRef param(int i) { return LLVMGetParam(fn, i); }

  // ---- constants ----

  public LLVMValueRef i64(long v) { return LLVMConstInt(m.i64(), v, 1); }

  public LLVMValueRef i32(int v) { return LLVMConstInt(m.i32(), v, 1); }

  public LLVMValueRef f32(float v) { return LLVMConstReal(m.f32(), v); }

  public LLVMValueRef zero(LLVMTypeRef t) { return LLVMConstNull(t); }

  // ---- integer and float arithmetic ----

  public LLVMValueRef add(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildNSWAdd(b, x, y, ""); }

  public LLVMValueRef sub(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildNSWSub(b, x, y, ""); }

  public LLVMValueRef mul(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildNSWMul(b, x, y, ""); }

  public LLVMValueRef lt(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildICmp(b, LLVMIntSLT, x, y, ""); }

  public LLVMValueRef ge(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildICmp(b, LLVMIntSGE, x, y, ""); }

  public LLVMValueRef eq(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildICmp(b, LLVMIntEQ, x, y, ""); }

  public LLVMValueRef and(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildAnd(b, x, y, ""); }

  public LLVMValueRef select(LLVMValueRef c, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildSelect(b, c, x, y, ""); }

  /** Signed minimum of two i64 values. */
  public LLVMValueRef min(LLVMValueRef x, LLVMValueRef y) { return select(lt(x, y), x, y); }

  public LLVMValueRef fadd(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFAdd(b, x, y, ""); }

  public LLVMValueRef fmul(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFMul(b, x, y, ""); }

  // ---- memory ----

  /** {@code &base[index]} for elements of type {@code element} (inbounds: indices stay inside the buffer). */
  public LLVMValueRef gep(LLVMTypeRef element, LLVMValueRef base, LLVMValueRef index) {
    return LLVMBuildInBoundsGEP2(b, element, base, one(index), 1, "");
  }

  public LLVMValueRef load(LLVMTypeRef t, LLVMValueRef ptr, int align) {
    LLVMValueRef v = LLVMBuildLoad2(b, t, ptr, "");
    LLVMSetAlignment(v, align);
    return v;
  }

  public void store(LLVMValueRef value, LLVMValueRef ptr, int align) {
    LLVMSetAlignment(LLVMBuildStore(b, value, ptr), align);
  }

  // ---- vectors ----

  /** {@code <lanes x T>} with every lane equal to scalar {@code v} (insertelement + zero shuffle: a broadcast). */
  public LLVMValueRef splat(LLVMValueRef v, int lanes) {
    LLVMTypeRef vt = m.vec(LLVMTypeOf(v), lanes);
    LLVMValueRef one = LLVMBuildInsertElement(b, LLVMGetPoison(vt), v, i32(0), "");
    return LLVMBuildShuffleVector(b, one, LLVMGetPoison(vt), zero(m.vec(m.i32(), lanes)), "");
  }

  /** Lane {@code lane} of vector {@code v}. */
  public LLVMValueRef extract(LLVMValueRef v, int lane) {
    return LLVMBuildExtractElement(b, v, i32(lane), "");
  }

  /** {@code a * b + c} rounded once, lane-wise ({@code llvm.fma.v<n>f32}). */
  public LLVMValueRef fma(LLVMValueRef a, LLVMValueRef x, LLVMValueRef c) {
    LLVMTypeRef t = LLVMTypeOf(a);
    String name = "llvm.fma." + suffix(t);
    return call(m.declare(name, m.fnType(t, t, t, t)), m.fnType(t, t, t, t), a, x, c);
  }

  /** A {@code <lanes x i1>} mask whose lane {@code j} is {@code offset + j < limit} (i64 operands). */
  public LLVMValueRef laneMask(int lanes, LLVMValueRef offset, LLVMValueRef limit) {
    PointerPointer<LLVMValueRef> iota = new PointerPointer<>(lanes);
    for (int j = 0; j < lanes; j++) iota.put(j, i64(j));
    LLVMValueRef idx = LLVMBuildAdd(b, LLVMConstVector(iota, lanes), splat(offset, lanes), "");
    return LLVMBuildICmp(b, LLVMIntSLT, idx, splat(limit, lanes), "");
  }

  /** Loads the lanes of {@code vt} where {@code mask} is set, zero elsewhere; masked-off lanes are not touched. */
  public LLVMValueRef maskedLoad(LLVMTypeRef vt, LLVMValueRef ptr, LLVMValueRef mask, int align) {
    LLVMTypeRef mt = LLVMTypeOf(mask);
    LLVMTypeRef ft = m.fnType(vt, m.ptr(), m.i32(), mt, vt);
    return call(m.declare("llvm.masked.load." + suffix(vt) + ".p0", ft), ft, ptr, i32(align), mask, zero(vt));
  }

  /** Stores the lanes of {@code value} where {@code mask} is set. */
  public void maskedStore(LLVMValueRef value, LLVMValueRef ptr, LLVMValueRef mask, int align) {
    LLVMTypeRef vt = LLVMTypeOf(value);
    LLVMTypeRef ft = m.fnType(m.voidType(), vt, m.ptr(), m.i32(), LLVMTypeOf(mask));
    call(m.declare("llvm.masked.store." + suffix(vt) + ".p0", ft), ft, value, ptr, i32(align), mask);
  }

  private static String suffix(LLVMTypeRef t) {
    if (LLVMGetTypeKind(t) == LLVMVectorTypeKind) return "v" + LLVMGetVectorSize(t) + "f32";
    return "f32";
  }

  public LLVMValueRef call(LLVMValueRef callee, LLVMTypeRef fnType, LLVMValueRef... args) {
    PointerPointer<LLVMValueRef> as = new PointerPointer<>(args.length);
    for (int i = 0; i < args.length; i++) as.put(i, args[i]);
    return LLVMBuildCall2(b, fnType, callee, as, args.length, "");
  }

  // ---- control flow ----

  public void br(LLVMBasicBlockRef target) { LLVMBuildBr(b, target); }

  public void condBr(LLVMValueRef c, LLVMBasicBlockRef t, LLVMBasicBlockRef f) { LLVMBuildCondBr(b, c, t, f); }

  public void retVoid() { LLVMBuildRetVoid(b); }

  public void ret(LLVMValueRef v) { LLVMBuildRet(b, v); }

  /** Emits {@code then} under {@code if (cond)} and continues after it. */
  public void ifThen(LLVMValueRef cond, Runnable then) {
    LLVMBasicBlockRef t = block("then"), done = block("endif");
    condBr(cond, t, done);
    at(t);
    then.run();
    br(done);
    at(done);
  }

  /** An open counted loop: {@code iv} and the loop-carried {@code values} are valid inside and after the loop. */
  public record Loop(LLVMValueRef iv, List<LLVMValueRef> values, LLVMValueRef step, LLVMBasicBlockRef header,
                     LLVMBasicBlockRef exit) {}

  /**
   * Opens {@code for (iv = start; iv < end; iv += step)} carrying {@code init} values (phis); the builder is left
   * in the body. Close with {@link #endLoop}. After the loop the carried phis hold the final values.
   */
  public Loop loop(String name, LLVMValueRef start, LLVMValueRef end, LLVMValueRef step, List<LLVMValueRef> init) {
    LLVMBasicBlockRef pre = current(), header = block(name), body = block(name + ".body"), exit = block(name + ".end");
    br(header);
    at(header);
    LLVMValueRef iv = phi(m.i64(), start, pre, name);
    List<LLVMValueRef> vals = new ArrayList<>();
    for (LLVMValueRef v : init) vals.add(phi(LLVMTypeOf(v), v, pre, ""));
    condBr(lt(iv, end), body, exit);
    at(body);
    return new Loop(iv, List.copyOf(vals), step, header, exit);
  }

  public Loop loop(String name, LLVMValueRef start, LLVMValueRef end, LLVMValueRef step) {
    return loop(name, start, end, step, List.of());
  }

  /** Closes {@code loop}: feeds {@code next} back into its carried values and continues after the loop. */
  public void endLoop(Loop loop, List<LLVMValueRef> next) {
    if (next.size() != loop.values().size()) throw new IllegalArgumentException("loop carries " + loop.values().size());
    LLVMValueRef ivNext = add(loop.iv(), loop.step());
    LLVMBasicBlockRef latch = current();
    br(loop.header());
    incoming(loop.iv(), ivNext, latch);
    for (int i = 0; i < next.size(); i++) incoming(loop.values().get(i), next.get(i), latch);
    at(loop.exit());
  }

  public void endLoop(Loop loop) { endLoop(loop, List.of()); }

  private LLVMValueRef phi(LLVMTypeRef t, LLVMValueRef first, LLVMBasicBlockRef from, String name) {
    LLVMValueRef p = LLVMBuildPhi(b, t, name);
    incoming(p, first, from);
    return p;
  }

  private static void incoming(LLVMValueRef phi, LLVMValueRef v, LLVMBasicBlockRef from) {
    LLVMAddIncoming(phi, one(v), one(from), 1);
  }

  /** A one-element pointer array (JavaCPP: {@code new PointerPointer<>(x)} would be a cast, not an array). */
  private static PointerPointer<Pointer> one(Pointer p) {
    PointerPointer<Pointer> pp = new PointerPointer<>(1);
    pp.put(0, p);
    return pp;
  }

  @Override
  public void close() { LLVMDisposeBuilder(b); }
}
