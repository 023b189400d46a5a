package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits an innermost Kernel IR loop as a Vector API loop ({@code VectorMath.LANES} iterations per step, through the
 * small static methods of {@code dev.kiln.runtime.kernels.VectorMath}, which C2 inlines) followed by the scalar loop
 * for the rest. The width is read at run time, so a class compiled on one machine runs on another.
 *
 * <p>A loop qualifies ({@link VectorLoopAnalysis}) when its body is f32 lets, stores and reduction updates
 * ({@code %acc := add|max|min(%acc, e)} of an f32 accumulator declared outside), every load and store index is the
 * loop variable plus something invariant (stride 1; loads may also be invariant, then broadcast), the elementwise
 * operations have vector forms (no log, floor, pow, rem, int or bool arithmetic on the loop variable), and every
 * array the loop stores to is read only at the same index as it is stored (no dependence from one iteration to the
 * next). Reductions keep one vector of partial results and add its lanes in a fixed order after the loop, so they
 * sum in another order than the scalar loop (differences at float rounding; the tests allow 1e-4).
 * {@code -Dkiln.jvm.vectorize=false} turns this off (for comparisons).
 */
final class VectorLoopEmitter {
  static final boolean ENABLED = !"false".equals(System.getProperty("kiln.jvm.vectorize"));
  /** Shorter loops stay scalar (no full vector on this machine; the class stays correct on wider ones). */
  static final int MIN_EXTENT = Math.max(8, dev.kiln.runtime.kernels.VectorMath.LANES);

  private static final String VM = "dev/kiln/runtime/kernels/VectorMath";
  private static final String FV = "Ljdk/incubator/vector/FloatVector;";
  private static final String UN = "(" + FV + ")" + FV, BIN = "(" + FV + FV + ")" + FV, SEL = "(" + FV + FV + FV + FV + ")" + FV;

  private final KernelEmitter k;
  private final MethodVisitor mv;
  private final Function<String, Integer> arraySlot;
  private final Function<String, KType> bufferType;
  /** Slots of the broadcast constants of the loop being emitted. */
  private Map<Float, Integer> consts;
  /** Where outlined loops go; null: loops stay inline. */
  private ClassWriter cw;
  private String cls, prefix;
  private int count;

  VectorLoopEmitter(KernelEmitter k, MethodVisitor mv, Function<String, Integer> arraySlot, Function<String, KType> bufferType) {
    this.k = k;
    this.mv = mv;
    this.arraySlot = arraySlot;
    this.bufferType = bufferType;
  }

  /**
   * Lets loops move into methods of their own (see {@link #tryEmit}).
   *
   * @param cw the class being written, not null
   * @param cls its internal name
   * @param prefix names the new methods: {@code prefix$v0}, {@code prefix$v1}, ...
   */
  void outlineInto(ClassWriter cw, String cls, String prefix) {
    this.cw = cw;
    this.cls = cls;
    this.prefix = prefix;
  }

  /**
   * Emits {@code f} vectorized and returns true, or emits nothing and returns false when it does not qualify. With
   * {@link #outlineInto} the loop becomes a private static method called here, taking the arrays and outer locals
   * the loop reads (and returning its accumulator, at most one): C2 then compiles each vector loop as a unit of its
   * own. Left inline in a big kernel (the LSTM's holds several gate loops), it ran out of C2's inlining node budget
   * and the vector calls it could no longer inline boxed every vector.
   */
  boolean tryEmit(Stmt.For f) {
    if (!ENABLED || f.extent() < MIN_EXTENT) return false;
    VectorLoopAnalysis a = VectorLoopAnalysis.of(f, arraySlot, bufferType, k::typeOf);
    if (a == null || !a.worthIt()) return false;
    if (cw != null && a.reductions().size() <= 1) outline(f, a);
    else emitInline(f, a);
    return true;
  }

  private void outline(Stmt.For f, VectorLoopAnalysis a) {
    // Parameters: the distinct arrays, then the outer locals read (index variables, f32 scalars, the accumulator).
    List<Integer> arrays = new ArrayList<>();
    Map<String, Integer> arrayParam = new HashMap<>();
    for (String b : VectorLoopAnalysis.buffers(f.body())) {
      int outer = arraySlot.apply(b);
      if (!arrays.contains(outer)) arrays.add(outer);
      arrayParam.put(b, arrays.indexOf(outer));
    }
    List<String> scalars = new ArrayList<>();
    for (String v : VectorLoopAnalysis.varsRead(f.body()))
      if (!v.equals(f.var()) && !a.lets().contains(v) && !scalars.contains(v)) scalars.add(v);
    StringBuilder desc = new StringBuilder("(");
    for (int slot : arrays) desc.append(arrayDescOf(f, slot));
    for (String v : scalars) desc.append(KernelEmitter.desc(k.typeOf(v)));
    String acc = a.reductions().isEmpty() ? null : a.reductions().get(0).name();
    desc.append(acc == null ? ")V" : ")F");
    String name = prefix + "$v" + count++;
    // the call
    for (int slot : arrays) mv.visitVarInsn(ALOAD, slot);
    for (String v : scalars) mv.visitVarInsn(KernelEmitter.loadOp(k.typeOf(v)), k.slotOf(v));
    mv.visitMethodInsn(INVOKESTATIC, cls, name, desc.toString(), false);
    if (acc != null) mv.visitVarInsn(FSTORE, k.slotOf(acc));
    // the method
    MethodVisitor m = cw.visitMethod(ACC_PRIVATE | ACC_STATIC, name, desc.toString(), null, null);
    m.visitCode();
    KernelEmitter inner = new KernelEmitter(m, b -> arrayParam.get(b), bufferType, arrays.size());
    for (String v : scalars) inner.local(v, k.typeOf(v));
    new VectorLoopEmitter(inner, m, b -> arrayParam.get(b), bufferType).emitInline(f, a);
    if (acc == null) m.visitInsn(RETURN);
    else {
      m.visitVarInsn(FLOAD, inner.slotOf(acc));
      m.visitInsn(FRETURN);
    }
    m.visitMaxs(0, 0);
    m.visitEnd();
  }

  /** The array type of the outer slot's buffer (loops that qualify touch only f32 arrays, but index loads may not). */
  private String arrayDescOf(Stmt.For f, int outerSlot) {
    for (String b : VectorLoopAnalysis.buffers(f.body()))
      if (arraySlot.apply(b) == outerSlot) return ModelClassEmitter.arrayDesc(bufferType.apply(b));
    throw new IllegalStateException("no buffer in slot " + outerSlot);
  }

  private void emitInline(Stmt.For f, VectorLoopAnalysis a) {
    int iv = k.local(f.var(), KType.INT);
    Map<String, Integer> accs = new HashMap<>();
    for (Stmt.Assign r : a.reductions()) {
      int slot = k.temp();
      accs.put(r.name(), slot);
      mv.visitLdcInsn(switch (a.reductionOp(r)) { case ADD -> 0f; case MAX -> Float.NEGATIVE_INFINITY; default -> Float.POSITIVE_INFINITY; });
      broadcast();
      mv.visitVarInsn(ASTORE, slot);
    }
    // Constants broadcast once, before the loop (fewer nodes for C2 to inline, less work interpreted).
    Map<Float, Integer> consts = new java.util.LinkedHashMap<>();
    for (Stmt s : f.body()) constants(s, consts);
    for (Map.Entry<Float, Integer> c : consts.entrySet()) {
      mv.visitLdcInsn(c.getKey());
      broadcast();
      mv.visitVarInsn(ASTORE, c.getValue());
    }
    this.consts = consts;
    // for (iv = 0; iv + LANES <= extent; iv += LANES) { vector body }
    Label cond = new Label(), loop = new Label();
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ISTORE, iv);
    mv.visitJumpInsn(GOTO, cond);
    mv.visitLabel(loop);
    Map<String, Integer> lets = new HashMap<>();
    for (Stmt s : f.body()) vectorStmt(s, a, lets, accs);
    mv.visitVarInsn(ILOAD, iv);
    lanes();
    mv.visitInsn(IADD);
    mv.visitVarInsn(ISTORE, iv);
    mv.visitLabel(cond);
    mv.visitVarInsn(ILOAD, iv);
    lanes();
    mv.visitInsn(IADD);
    k.pushInt(f.extent());
    mv.visitJumpInsn(IF_ICMPLE, loop);
    // acc = op(acc, lanes of the partial vector)
    for (Stmt.Assign r : a.reductions()) {
      Expr.BOp op = a.reductionOp(r);
      int acc = k.slotOf(r.name());
      mv.visitVarInsn(FLOAD, acc);
      mv.visitVarInsn(ALOAD, accs.get(r.name()));
      mv.visitMethodInsn(INVOKESTATIC, VM, switch (op) { case ADD -> "sum"; case MAX -> "maxLanes"; default -> "minLanes"; }, "(" + FV + ")F", false);
      if (op == Expr.BOp.ADD) mv.visitInsn(FADD);
      else mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", op == Expr.BOp.MAX ? "max" : "min", "(FF)F", false);
      mv.visitVarInsn(FSTORE, acc);
    }
    // the rest, scalar: for (; iv < extent; iv++) { body }
    Label cond2 = new Label(), loop2 = new Label();
    mv.visitJumpInsn(GOTO, cond2);
    mv.visitLabel(loop2);
    k.stmts(f.body());
    mv.visitIincInsn(iv, 1);
    mv.visitLabel(cond2);
    mv.visitVarInsn(ILOAD, iv);
    k.pushInt(f.extent());
    mv.visitJumpInsn(IF_ICMPLT, loop2);
  }

  private void vectorStmt(Stmt s, VectorLoopAnalysis a, Map<String, Integer> lets, Map<String, Integer> accs) {
    switch (s) {
      case Stmt.Let l -> {
        vector(l.value(), a, lets);
        int slot = k.temp();
        lets.put(l.name(), slot);
        mv.visitVarInsn(ASTORE, slot);
      }
      case Stmt.Store st -> {
        vector(st.value(), a, lets);
        mv.visitVarInsn(ALOAD, arraySlot.apply(st.buffer()));
        k.expr(st.index());
        mv.visitMethodInsn(INVOKESTATIC, VM, "store", "(" + FV + "[FI)V", false);
      }
      case Stmt.Assign r -> {
        int acc = accs.get(r.name());
        mv.visitVarInsn(ALOAD, acc);
        vector(a.reductionValue(r), a, lets);
        mv.visitMethodInsn(INVOKESTATIC, VM, a.reductionOp(r).name().toLowerCase(), BIN, false);
        mv.visitVarInsn(ASTORE, acc);
      }
      default -> throw new IllegalStateException("not vectorizable: " + s);
    }
  }

  /** Pushes the FloatVector of f32 expression {@code e} for lanes iv .. iv + LANES - 1. */
  private void vector(Expr e, VectorLoopAnalysis a, Map<String, Integer> lets) {
    switch (e) {
      case Expr.Const c -> mv.visitVarInsn(ALOAD, consts.get((float) c.value()));
      case Expr.Var v -> {
        Integer slot = lets.get(v.name());
        if (slot != null) mv.visitVarInsn(ALOAD, slot);
        else {
          k.expr(v);
          broadcast();
        }
      }
      case Expr.Load l -> {
        if (a.isInvariant(l)) {
          k.expr(l);
          broadcast();
        } else {
          mv.visitVarInsn(ALOAD, arraySlot.apply(l.buffer()));
          k.expr(l.index());
          mv.visitMethodInsn(INVOKESTATIC, VM, "load", "([FI)" + FV, false);
        }
      }
      case Expr.Unary u -> {
        vector(u.a(), a, lets);
        mv.visitMethodInsn(INVOKESTATIC, VM, u.op().name().toLowerCase(), UN, false);
      }
      case Expr.Binary b -> {
        vector(b.a(), a, lets);
        vector(b.b(), a, lets);
        mv.visitMethodInsn(INVOKESTATIC, VM, b.op().name().toLowerCase(), BIN, false);
      }
      case Expr.Select s -> {
        Expr.Binary c = (Expr.Binary) s.cond();
        vector(c.a(), a, lets);
        vector(c.b(), a, lets);
        vector(s.a(), a, lets);
        vector(s.b(), a, lets);
        String op = c.op().name();
        mv.visitMethodInsn(INVOKESTATIC, VM, "select" + op.charAt(0) + op.substring(1).toLowerCase(), SEL, false);
      }
      case Expr.Cast c -> {
        if (c.a().type() == KType.F32) vector(c.a(), a, lets);
        else {
          k.expr(c);
          broadcast();
        }
      }
    }
  }

  /** The f32 constants {@link #vector} will broadcast in statement {@code s}, each given a slot. */
  private void constants(Stmt s, Map<Float, Integer> out) {
    switch (s) {
      case Stmt.Let l -> constants(l.value(), out);
      case Stmt.Store st -> constants(st.value(), out);
      case Stmt.Assign r -> constants(((Expr.Binary) r.value()).b(), out);
      default -> {}
    }
  }

  private void constants(Expr e, Map<Float, Integer> out) {
    switch (e) {
      case Expr.Const c -> out.computeIfAbsent((float) c.value(), v -> k.temp());
      case Expr.Unary u -> constants(u.a(), out);
      case Expr.Binary b -> {
        constants(b.a(), out);
        constants(b.b(), out);
      }
      case Expr.Select s -> {
        Expr.Binary c = (Expr.Binary) s.cond();
        constants(c.a(), out);
        constants(c.b(), out);
        constants(s.a(), out);
        constants(s.b(), out);
      }
      case Expr.Cast c -> { if (c.a().type() == KType.F32) constants(c.a(), out); }
      default -> {}
    }
  }

  private void broadcast() { mv.visitMethodInsn(INVOKESTATIC, VM, "broadcast", "(F)" + FV, false); }

  private void lanes() { mv.visitFieldInsn(GETSTATIC, VM, "LANES", "I"); }
}
