package dev.kiln.codegen.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.text.IrParser;
import dev.kiln.passes.lower.KernelLowering;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

/**
 * Innermost loops emitted as Vector API loops ({@link VectorLoopEmitter}): kernels with reductions and
 * transcendentals, at sizes that leave a scalar rest after the vector steps, against the reference interpreter
 * (each case also checks that a vector loop was emitted); the analysis's refusals; the bytecode of one kernel.
 */
class VectorLoopTest {
  record Case(String name, String ir, String mustCall) {
    @Override public String toString() { return name; }
  }

  static List<Case> cases() {
    return List.of(
        new Case("layer_norm", """
            graph @g(%x: f32[3,37], %w: f32[37], %b: f32[37]) -> (f32[3,37]) {
              %0 = nn.layer_norm(%x, %w, %b) {normalized_shape=[37], eps=1.0E-5} : f32[3,37]
              return(%0)
            }""", "VectorMath.sum"),
        new Case("softmax", """
            graph @g(%x: f32[3,41]) -> (f32[3,41]) {
              %0 = nn.softmax(%x) {dim=-1} : f32[3,41]
              return(%0)
            }""", "VectorMath.exp"),
        new Case("transcendentals", """
            graph @g(%x: f32[2,45]) -> (f32[2,45], f32[2,45], f32[2,45], f32[2,45]) {
              %0 = nn.sigmoid(%x) : f32[2,45]
              %1 = nn.tanh(%x) : f32[2,45]
              %2 = nn.exp(%x) : f32[2,45]
              %3 = nn.silu(%x) : f32[2,45]
              return(%0, %1, %2, %3)
            }""", "VectorMath.tanh"),
        new Case("mean-amax", """
            graph @g(%x: f32[4,50]) -> (f32[4], f32[4]) {
              %0 = nn.mean(%x) {dims=[1], keepdim=false} : f32[4]
              %1 = nn.amax(%x) {dims=[1]} : f32[4]
              return(%0, %1)
            }""", "VectorMath.maxLanes"),
        new Case("attention", """
            graph @g(%q: f32[2,21,8], %k: f32[2,21,8], %v: f32[2,21,4]) -> (f32[2,21,4]) {
              %0 = nn.attention(%q, %k, %v) : f32[2,21,4]
              return(%0)
            }""", "VectorMath.exp"),
        new Case("lstm", """
            graph @g(%x: f32[3,4,6], %h0: f32[1,3,20], %c0: f32[1,3,20], %wi: f32[80,6], %wh: f32[80,20], %bi: f32[80], %bh: f32[80])
                -> (f32[3,4,20], f32[1,3,20], f32[1,3,20]) {
              %o, %h, %c = nn.lstm(%x, %h0, %c0, %wi, %wh, %bi, %bh) {num_layers=1, batch_first=true} : (f32[3,4,20], f32[1,3,20], f32[1,3,20])
              return(%o, %h, %c)
            }""", "VectorMath.exp"));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesTheInterpreter(Case c) {
    Graph g = IrParser.parse(c.ir(), c.name());
    Random rnd = new Random(c.name().hashCode());
    List<Object> inputs = new ArrayList<>();
    for (Value p : g.params()) inputs.add(SequenceLoweringTest.random(p, rnd));
    List<Object> want = new Interpreter(IrParser.parse(c.ir(), c.name()), Map.of()).run(inputs);
    KernelProgram program = KernelLowering.lower(g);
    String cls = "dev.kiln.gen.V_" + c.name().replace('-', '_');
    JvmCompiled compiled = JvmBackend.compile(program, Map.of(), new JvmOptions(cls, true));
    assertTrue(text(compiled.classes().get(cls)).contains(c.mustCall()), c.name() + ": no vector loop calls " + c.mustCall());
    // Several runs: the first ones run the vector code interpreted, later ones possibly compiled.
    for (int run = 0; run < 3; run++) {
      List<Object> got = compiled.instantiate(new HashMap<>()).run(inputs);
      for (int i = 0; i < want.size(); i++) {
        Tensor w = (Tensor) want.get(i), h = (Tensor) got.get(i);
        assertTrue(h.allClose(w, 1e-5, 1e-5), c.name() + " output " + i + ": max |diff| " + h.maxAbsDiff(w));
      }
    }
  }

  /** The kernel method calls its loop, now a static method of the class, vector steps first, then the scalar rest. */
  @Test
  void bytecodeOfASigmoidKernel() throws Exception {
    Graph g = IrParser.parse("""
        graph @g(%x: f32[20]) -> (f32[20]) {
          %y = nn.sigmoid(%x) : f32[20]
          return(%y)
        }""", "sigmoid");
    byte[] cls = JvmBackend.compile(KernelLowering.lower(g), Map.of(), new JvmOptions("dev.kiln.gen.Sigmoid", true)).classes().get("dev.kiln.gen.Sigmoid");
    String text = text(cls);
    String kernel = text.substring(text.indexOf("  // access flags 0x12\n  private final k0_nn_sigmoid"));
    try (var in = getClass().getClassLoader().getResourceAsStream("jvm/sigmoid_kernel.txt")) {
      assertNotNull(in, "missing test resource jvm/sigmoid_kernel.txt");
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), kernel);
    }
  }

  // Hand-built loops for the analysis: arrays x (slot 1) and y (slot 2), f32; outer f32 local %s.
  private static VectorLoopAnalysis analyze(Stmt... body) {
    Stmt.For f = new Stmt.For("i", 64, List.of(body));
    return VectorLoopAnalysis.of(f, b -> b.equals("x") ? 1 : 2, b -> KType.F32, v -> v.equals("s") ? KType.F32 : null);
  }

  private static final Expr I = new Expr.Var("i", KType.INT);

  private static Expr x(Expr index) { return new Expr.Load("x", KType.F32, index); }

  private static Expr exp(Expr e) { return new Expr.Unary(Expr.UOp.EXP, e); }

  @Test
  void analysisAcceptsElementwiseAndReductionLoops() {
    var a = analyze(new Stmt.Store("y", I, exp(x(I))));
    assertNotNull(a);
    assertTrue(a.worthIt());
    var relu = analyze(new Stmt.Store("y", I, Expr.bin(Expr.BOp.MAX, x(I), Expr.f32(0))));
    assertNotNull(relu);
    assertFalse(relu.worthIt(), "a plain elementwise loop is left to C2's own vectorizer");
    var sum = analyze(new Stmt.Assign("s", Expr.bin(Expr.BOp.ADD, new Expr.Var("s", KType.F32), x(Expr.add(I, Expr.i32(3))))));
    assertNotNull(sum);
    assertTrue(sum.worthIt());
    // x[5] is the same for every lane: broadcast
    assertNotNull(analyze(new Stmt.Store("y", I, exp(Expr.bin(Expr.BOp.SUB, x(I), x(Expr.i32(5)))))));
  }

  @Test
  void analysisRefusesWhatVectorsWouldChange() {
    // x[i+1] = exp(x[i]): each iteration reads what the previous one wrote
    assertNull(analyze(new Stmt.Store("x", Expr.add(I, Expr.i32(1)), exp(x(I)))));
    // y[i] = exp(x[i]); y[0] read back: an invariant load of a stored array
    assertNull(analyze(new Stmt.Store("y", I, exp(x(I))), new Stmt.Store("x", I, new Expr.Load("y", KType.F32, Expr.i32(0)))));
    // stride 2
    assertNull(analyze(new Stmt.Store("y", I, exp(x(Expr.mul(I, Expr.i32(2)))))));
    // log has no vector form here
    assertNull(analyze(new Stmt.Store("y", I, new Expr.Unary(Expr.UOp.LOG, x(I)))));
    // the accumulator read outside its own update
    Expr s = new Expr.Var("s", KType.F32);
    assertNull(analyze(new Stmt.Assign("s", Expr.bin(Expr.BOp.ADD, s, exp(x(I)))), new Stmt.Store("y", I, s)));
    // an int computed from the loop variable inside a value
    assertNull(analyze(new Stmt.Store("y", I, exp(Expr.cast(KType.F32, I)))));
  }

  private static String text(byte[] cls) {
    StringWriter out = new StringWriter();
    new ClassReader(cls).accept(new TraceClassVisitor(null, new Textifier(), new PrintWriter(out)), ClassReader.SKIP_FRAMES);
    return out.toString();
  }
}
