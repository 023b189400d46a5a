package dev.kiln.codegen.llvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.codegen.llvm.IrBuilder;
import dev.kiln.codegen.llvm.LlvmJit;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.LlvmTargetMachine;
import dev.kiln.codegen.llvm.TargetSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.DoubleUnaryOperator;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The inline exp/tanh against {@code Math.exp}/{@code Math.tanh} rounded to float (1e-6 relative; subnormal exp
 * results within one subnormal step) over sweeps, random floats of every magnitude and the special values, for the
 * host and the portable target; and the loop using them vectorizes with no libm call left.
 */
@Tag("llvm")
class VectorMathTest {
  private static final FunctionDescriptor LOOP = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
      ValueLayout.JAVA_LONG);

  /** {@code void name(ptr x, ptr y, i64 n)}: y[i] = f(x[i]). */
  private static void loop(LlvmModule m, String name, BiFunction<VectorMath, LLVMValueRef, LLVMValueRef> f) {
    LLVMValueRef fn = m.addFunction(name, m.fnType(m.voidType(), m.ptr(), m.ptr(), m.i64()));
    m.bufferParam(fn, 0, 4);
    m.bufferParam(fn, 1, 4);
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      VectorMath vm = new VectorMath(b);
      IrBuilder.Loop i = b.loop("i", b.i64(0), b.param(2), b.i64(1));
      LLVMValueRef x = b.load(m.f32(), b.gep(m.f32(), b.param(0), i.iv()), 4);
      b.store(f.apply(vm, x), b.gep(m.f32(), b.param(1), i.iv()), 4);
      b.endLoop(i);
      b.retVoid();
    }
  }

  private static LlvmModule module() {
    LlvmModule m = new LlvmModule("vector_math");
    loop(m, "vm_exp", VectorMath::exp);
    loop(m, "vm_tanh", VectorMath::tanh);
    return m;
  }

  private static float[] inputs() {
    List<Float> xs = new ArrayList<>();
    for (double v = -120; v <= 120; v += 0.0137) xs.add((float) v);
    for (double v = -2; v <= 2; v += 1e-4) xs.add((float) v);
    Random r = new Random(7);
    for (int i = 0; i < 200_000; i++) xs.add(Float.intBitsToFloat(r.nextInt())); // every exponent, NaN payloads too
    float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 88.72283f, 88.72284f, 88.7f, 89f,
        -87.33654f, -87.4f, -103.27893f, -103.97208f, -103.9721f, -104f, -150f, 1e-8f, -1e-8f, 9.01f, -9.01f, 10f,
        -10f, 20f, -20f, 0.34657359f, -0.34657359f, 0.5f, -0.5f};
    for (float s : special) xs.add(s);
    float[] out = new float[xs.size()];
    for (int i = 0; i < out.length; i++) out[i] = xs.get(i);
    return out;
  }

  private static float[] run(MethodHandle h, float[] x) throws Throwable {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment in = a.allocateFrom(ValueLayout.JAVA_FLOAT, x), out = a.allocate(4L * x.length, 64);
      h.invokeExact(in, out, (long) x.length);
      return out.toArray(ValueLayout.JAVA_FLOAT);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"host", TargetSpec.PORTABLE})
  void matchesJavaMath(String target) throws Throwable {
    float[] x = inputs();
    float[] exp, tanh;
    try (LlvmJit jit = new LlvmJit(TargetSpec.parse(target)); LlvmModule m = module()) {
      jit.add(m);
      exp = run(jit.function("vm_exp", LOOP), x);
      tanh = run(jit.function("vm_tanh", LOOP), x);
    }
    check("exp", Math::exp, x, exp, Float.MIN_VALUE);
    check("tanh", Math::tanh, x, tanh, 0);
  }

  private static void check(String what, DoubleUnaryOperator f, float[] x, float[] got, float absSlack) {
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      float ref = (float) f.applyAsDouble(x[i]), g = got[i];
      if (Float.isNaN(ref) || Float.isInfinite(ref) || ref == 0) {
        boolean ok = Float.isNaN(ref) ? Float.isNaN(g)
            : ref == 0 ? Math.abs(g) <= absSlack && Float.floatToRawIntBits(Math.copySign(1f, g)) == Float.floatToRawIntBits(Math.copySign(1f, ref))
            : g == ref;
        if (!ok) fail(what + "(" + x[i] + ") = " + g + ", Java gives " + ref);
        continue;
      }
      double err = Math.abs((double) g - ref);
      if (err > Math.max(1e-6 * Math.abs(ref), absSlack)) fail(what + "(" + x[i] + ") = " + g + ", Java gives " + ref + " (error " + err / Math.abs(ref) + " relative)");
      if (Math.abs(ref) >= Float.MIN_NORMAL) worst = Math.max(worst, err / Math.abs(ref));
    }
    assertTrue(worst < 1e-6, what + " worst relative error " + worst);
  }

  /** {@code void name(ptr x, ptr y, i64 n)} over {@code <lanes x float>} values: y[i..] = f(x[i..]), n a multiple of lanes. */
  private static void vectorLoop(LlvmModule m, String name, int lanes, BiFunction<VectorMath, LLVMValueRef, LLVMValueRef> f) {
    LLVMValueRef fn = m.addFunction(name, m.fnType(m.voidType(), m.ptr(), m.ptr(), m.i64()));
    try (IrBuilder b = new IrBuilder(m)) {
      b.enter(fn);
      VectorMath vm = new VectorMath(b);
      org.bytedeco.llvm.LLVM.LLVMTypeRef vt = m.vec(m.f32(), lanes);
      IrBuilder.Loop i = b.loop("i", b.i64(0), b.param(2), b.i64(lanes));
      LLVMValueRef x = b.load(vt, b.gep(m.f32(), b.param(0), i.iv()), 4);
      b.store(f.apply(vm, x), b.gep(m.f32(), b.param(1), i.iv()), 4);
      b.endLoop(i);
      b.retVoid();
    }
  }

  /** The vector form (explicit {@code <n x float>} arguments, AttentionEmitter's softmax) gives the scalar form's bits. */
  @ParameterizedTest
  @ValueSource(ints = {8, 16})
  void vectorFormEqualsScalarForm(int lanes) throws Throwable {
    float[] x0 = inputs();
    float[] x = java.util.Arrays.copyOf(x0, (x0.length + lanes - 1) / lanes * lanes);
    try (LlvmJit jit = new LlvmJit(TargetSpec.host()); LlvmModule m = module()) {
      vectorLoop(m, "vv_exp", lanes, VectorMath::exp);
      vectorLoop(m, "vv_tanh", lanes, VectorMath::tanh);
      jit.add(m);
      float[] e = run(jit.function("vm_exp", LOOP), x), ev = run(jit.function("vv_exp", LOOP), x);
      float[] t = run(jit.function("vm_tanh", LOOP), x), tv = run(jit.function("vv_tanh", LOOP), x);
      for (int i = 0; i < x.length; i++) {
        assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(ev[i]), () -> "exp lanes differ");
        assertEquals(Float.floatToRawIntBits(t[i]), Float.floatToRawIntBits(tv[i]), () -> "tanh lanes differ");
      }
    }
  }

  @Test
  void loopsVectorizeWithoutLibmCalls() {
    TargetSpec host = TargetSpec.host();
    try (LlvmModule m = module(); LlvmTargetMachine tm = new LlvmTargetMachine(host)) {
      tm.configure(m);
      tm.optimize(m, LlvmTargetMachine.O3);
      String ir = m.print();
      String vec = "<" + host.floatLanes() + " x float>";
      for (String fn : new String[] {"vm_exp", "vm_tanh"}) {
        String body = ir.substring(ir.indexOf("define void @" + fn));
        body = body.substring(0, body.indexOf("\n}\n"));
        assertTrue(body.contains("@llvm.fma.v" + host.floatLanes() + "f32"), fn + " was not vectorized:\n" + body);
        assertTrue(body.contains(vec), fn + " has no " + vec + " values");
        assertFalse(body.contains("@expf") || body.contains("@tanhf") || body.contains("@llvm.exp"), fn + " calls libm");
      }
    }
  }

  @Test
  void exactAtZeroAndOne() throws Throwable {
    try (LlvmJit jit = new LlvmJit(TargetSpec.host()); LlvmModule m = module()) {
      jit.add(m);
      float[] e = run(jit.function("vm_exp", LOOP), new float[] {0f, -0f});
      assertEquals(1f, e[0]);
      assertEquals(1f, e[1]);
    }
  }
}
