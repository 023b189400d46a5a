package dev.kiln.codegen.jvm;

import static org.objectweb.asm.Opcodes.*;

import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;

/**
 * Emits the statements of one kernel as bytecode in the shapes C2 optimizes well: counted {@code int} loops
 * ({@code for (int i = 0; i < n; i++)}), array references held in locals (the method's parameters, one per
 * distinct array, so no two names alias one array), {@code Math.max/min} instead of branches, and selects as
 * short conditional expressions that C2 turns into conditional moves.
 */
final class KernelEmitter {
  private final MethodVisitor mv;
  /** Buffer name to the local slot of its array. */
  private final Function<String, Integer> arraySlot;
  private final Function<String, KType> bufferType;
  private final Map<String, Integer> slots = new HashMap<>();
  private final Map<String, KType> types = new HashMap<>();
  private int next;
  /** Model class and its packed conv weights; null in emitters outside kernel methods. */
  private String cls;
  private PackedWeights packed;
  /** Null unless {@link #vectorizeLoops} was called. */
  private VectorLoopEmitter vectorLoops;
  /** GEMM weights packed in the constructor; null outside kernel methods. */
  private PackedGemms gemms;

  /** @param firstFree the first local slot not taken by {@code this} and the parameters */
  KernelEmitter(MethodVisitor mv, Function<String, Integer> arraySlot, Function<String, KType> bufferType, int firstFree) {
    this.mv = mv;
    this.arraySlot = arraySlot;
    this.bufferType = bufferType;
    this.next = firstFree;
  }

  /** Lets conv statements use weights packed in the constructor (kernel methods are instance methods). */
  void packedWeights(String cls, PackedWeights packed) {
    this.cls = cls;
    this.packed = packed;
  }

  void stmts(List<Stmt> body) {
    for (int i = 0; i < body.size(); i++) {
      // A channels-last conv followed by an epilogue loop the primitive can apply itself: one call, no loop.
      ConvEpilogue ep = body.get(i) instanceof Stmt.Conv c && i + 1 < body.size()
          ? ConvEpilogue.match(c, body.get(i + 1), n -> String.valueOf(arraySlot.apply(n))) : null;
      // A channels-last max-pooling nest: the vectorized runtime primitive instead of scalar loops.
      PoolCall pool = ep == null && packed != null && body.get(i) instanceof Stmt.For ? PoolCall.match(body.get(i), packed.program()) : null;
      if (ep != null) {
        conv((Stmt.Conv) body.get(i), ep);
        i++;
      } else if (pool != null) pool(pool);
      else stmt(body.get(i));
    }
  }

  private void stmt(Stmt s) {
    switch (s) {
      case Stmt.For f -> {
        if (vectorLoops != null && vectorLoops.tryEmit(f)) return;
        int v = local(f.var(), KType.INT);
        Label cond = new Label(), loop = new Label();
        mv.visitInsn(ICONST_0);
        mv.visitVarInsn(ISTORE, v);
        mv.visitJumpInsn(GOTO, cond);
        mv.visitLabel(loop);
        stmts(f.body());
        mv.visitIincInsn(v, 1);
        mv.visitLabel(cond);
        mv.visitVarInsn(ILOAD, v);
        pushInt(f.extent());
        mv.visitJumpInsn(IF_ICMPLT, loop);
      }
      case Stmt.Let l -> {
        expr(l.value());
        mv.visitVarInsn(storeOp(l.value().type()), local(l.name(), l.value().type()));
      }
      case Stmt.Assign a -> {
        expr(a.value());
        mv.visitVarInsn(storeOp(types.get(a.name())), slots.get(a.name()));
      }
      case Stmt.Store st -> {
        mv.visitVarInsn(ALOAD, arraySlot.apply(st.buffer()));
        expr(st.index());
        KType t = bufferType.apply(st.buffer());
        expr(st.value());
        mv.visitInsn(switch (t) { case F32 -> FASTORE; case I64 -> LASTORE; default -> BASTORE; });
      }
      case Stmt.Gemm g -> {
        String pg = gemms == null ? null : gemms.fieldOf(g);
        if (pg != null) {
          gemms.emitCall(mv, this, g, pg, arraySlot);
          return;
        }
        pushInt(g.transA() ? 1 : 0);
        pushInt(g.transB() ? 1 : 0);
        pushInt(g.m());
        pushInt(g.n());
        pushInt(g.k());
        mv.visitLdcInsn(g.alpha());
        mv.visitVarInsn(ALOAD, arraySlot.apply(g.a()));
        expr(g.offA());
        pushInt(g.lda());
        mv.visitVarInsn(ALOAD, arraySlot.apply(g.b()));
        expr(g.offB());
        pushInt(g.ldb());
        mv.visitLdcInsn(g.beta());
        mv.visitVarInsn(ALOAD, arraySlot.apply(g.c()));
        expr(g.offC());
        pushInt(g.ldc());
        mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Gemm", "sgemm", "(ZZIIIF[FII[FIIF[FII)V", false);
      }
      case Stmt.Conv c -> conv(c, null);
      case Stmt.CallReference r -> throw new IllegalStateException("reference calls are emitted by the model class, not inside kernels");
    }
  }

  /** {@code Pool2d.maxNhwc(new PoolParams(...), x, 0, y, 0)}. */
  private void pool(PoolCall pc) {
    String params = "dev/kiln/runtime/kernels/PoolParams";
    mv.visitTypeInsn(NEW, params);
    mv.visitInsn(DUP);
    for (int v : pc.params()) pushInt(v);
    mv.visitMethodInsn(INVOKESPECIAL, params, "<init>", "(" + "I".repeat(14) + ")V", false);
    mv.visitVarInsn(ALOAD, arraySlot.apply(pc.x()));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ALOAD, arraySlot.apply(pc.y()));
    mv.visitInsn(ICONST_0);
    mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Pool2d", "maxNhwc", "(L" + params + ";[FI[FI)V", false);
  }

  /** {@code Conv2d.run/runNhwc}, with the weight packed in the constructor when there is one, and the epilogue if any. */
  private void conv(Stmt.Conv c, ConvEpilogue ep) {
    String params = "dev/kiln/runtime/kernels/ConvParams";
    mv.visitTypeInsn(NEW, params);
    mv.visitInsn(DUP);
    for (int p : c.params()) pushInt(p);
    mv.visitMethodInsn(INVOKESPECIAL, params, "<init>", "(" + "I".repeat(16) + ")V", false);
    mv.visitVarInsn(ALOAD, arraySlot.apply(c.x()));
    mv.visitInsn(ICONST_0);
    mv.visitVarInsn(ALOAD, arraySlot.apply(c.weight()));
    String pk = packed == null ? null : packed.fieldOf(c);
    if (pk != null || ep != null) {
      if (pk == null) mv.visitInsn(ACONST_NULL);
      else {
        mv.visitVarInsn(ALOAD, 0);
        mv.visitFieldInsn(GETFIELD, cls, pk, PackedWeights.DESC);
      }
    }
    if (c.bias() == null) mv.visitInsn(ACONST_NULL);
    else mv.visitVarInsn(ALOAD, arraySlot.apply(c.bias()));
    mv.visitVarInsn(ALOAD, arraySlot.apply(c.y()));
    mv.visitInsn(ICONST_0);
    String tail = "";
    if (ep != null) {
      if (ep.residual() == null) mv.visitInsn(ACONST_NULL);
      else mv.visitVarInsn(ALOAD, arraySlot.apply(ep.residual()));
      mv.visitLdcInsn(ep.lo());
      mv.visitLdcInsn(ep.hi());
      tail = "[FFF";
    }
    boolean withPacked = pk != null || ep != null;
    mv.visitMethodInsn(INVOKESTATIC, "dev/kiln/runtime/kernels/Conv2d", c.nhwc() ? "runNhwc" : "run",
        "(L" + params + ";[FI[F" + (withPacked ? PackedWeights.DESC : "") + "[F[FI" + tail + ")V", false);
  }

  /** The slot of local {@code name}, allocated on first use. */
  int local(String name, KType t) {
    Integer have = slots.get(name);
    if (have != null) return have;
    int s = next;
    next += t == KType.I64 ? 2 : 1;
    slots.put(name, s);
    types.put(name, t);
    return s;
  }

  /** The slot of a defined local, or null. */
  Integer slotOf(String name) { return slots.get(name); }

  /** The type of a defined local, or null. */
  KType typeOf(String name) { return types.get(name); }

  /** A fresh one-word slot (for a reference) no name refers to. */
  int temp() { return next++; }

  /** Lets GEMM statements use B operands packed in the constructor (kernel methods are instance methods). */
  void packedGemms(PackedGemms gemms) { this.gemms = gemms; }

  /**
   * Lets innermost loops that qualify run as Vector API loops ({@link VectorLoopEmitter}), each in a static method
   * {@code prefix$v<i>} of class {@code cls} written to {@code cw}; kernel methods only.
   */
  void vectorizeLoops(org.objectweb.asm.ClassWriter cw, String cls, String prefix) {
    vectorLoops = new VectorLoopEmitter(this, mv, arraySlot, bufferType);
    vectorLoops.outlineInto(cw, cls, prefix);
  }

  void expr(Expr e) {
    switch (e) {
      case Expr.Const c -> constant(c);
      case Expr.Var v -> {
        Integer s = slots.get(v.name());
        if (s == null) throw new IllegalStateException("%" + v.name() + " used before it is defined");
        mv.visitVarInsn(loadOp(v.type()), s);
      }
      case Expr.Load l -> {
        mv.visitVarInsn(ALOAD, arraySlot.apply(l.buffer()));
        expr(l.index());
        mv.visitInsn(switch (l.type()) { case F32 -> FALOAD; case I64 -> LALOAD; default -> BALOAD; });
      }
      case Expr.Unary u -> unary(u);
      case Expr.Binary b -> binary(b);
      case Expr.Select s -> {
        Label other = new Label(), end = new Label();
        expr(s.cond());
        mv.visitJumpInsn(IFEQ, other);
        expr(s.a());
        mv.visitJumpInsn(GOTO, end);
        mv.visitLabel(other);
        expr(Expr.cast(s.a().type(), s.b()));
        mv.visitLabel(end);
      }
      case Expr.Cast c -> {
        expr(c.a());
        cast(c.a().type(), c.type());
      }
    }
  }

  private void constant(Expr.Const c) {
    switch (c.type()) {
      case F32 -> {
        float f = (float) c.value();
        if (f == 0 && 1 / f > 0) mv.visitInsn(FCONST_0);
        else if (f == 1) mv.visitInsn(FCONST_1);
        else mv.visitLdcInsn(f);
      }
      case I64 -> {
        long l = (long) c.value();
        if (l == 0) mv.visitInsn(LCONST_0);
        else if (l == 1) mv.visitInsn(LCONST_1);
        else mv.visitLdcInsn(l);
      }
      default -> pushInt((int) c.value());
    }
  }

  private void unary(Expr.Unary u) {
    KType t = u.a().type();
    expr(u.a());
    switch (u.op()) {
      case NEG -> mv.visitInsn(t == KType.F32 ? FNEG : t == KType.I64 ? LNEG : INEG);
      case ABS -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "abs", "(" + desc(t) + ")" + desc(t), false);
      case NOT -> {
        mv.visitInsn(ICONST_1);
        mv.visitInsn(IXOR);
      }
      case FLOOR -> { if (t == KType.F32) math("floor", t); }
      case EXP -> math("exp", t);
      case LOG -> math("log", t);
      case SQRT -> math("sqrt", t);
      case TANH -> math("tanh", t);
    }
  }

  /** A double function of java.lang.Math applied to the value on the stack, converted there and back. */
  private void math(String name, KType t) {
    toDouble(t);
    mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", name, "(D)D", false);
    fromDouble(t);
  }

  private void binary(Expr.Binary b) {
    KType t = b.a().type();
    if (b.op().isCompare()) {
      compare(b);
      return;
    }
    expr(b.a());
    if (b.op() == Expr.BOp.POW) toDouble(t);
    expr(b.b());
    switch (b.op()) {
      case ADD -> mv.visitInsn(pick(t, FADD, LADD, IADD));
      case SUB -> mv.visitInsn(pick(t, FSUB, LSUB, ISUB));
      case MUL -> mv.visitInsn(pick(t, FMUL, LMUL, IMUL));
      case DIV -> mv.visitInsn(pick(t, FDIV, LDIV, IDIV));
      case REM -> mv.visitInsn(pick(t, FREM, LREM, IREM));
      case AND -> mv.visitInsn(IAND);
      case OR -> mv.visitInsn(IOR);
      case MAX, MIN -> mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", b.op() == Expr.BOp.MAX ? "max" : "min",
          "(" + desc(t) + desc(t) + ")" + desc(t), false);
      case POW -> {
        toDouble(t);
        mv.visitMethodInsn(INVOKESTATIC, "java/lang/Math", "pow", "(DD)D", false);
        fromDouble(t);
      }
      default -> throw new IllegalStateException(b.op().text());
    }
  }

  // Comparisons push 1 or 0. For floats, fcmpg makes NaN compare greater (so < and <= are false on NaN) and fcmpl
  // less (so > and >= are false), as Java's own operators behave.
  private void compare(Expr.Binary b) {
    KType t = b.a().type();
    expr(b.a());
    expr(b.b());
    Label yes = new Label(), end = new Label();
    Expr.BOp op = b.op();
    if (t == KType.F32 || t == KType.I64) {
      if (t == KType.F32) mv.visitInsn(op == Expr.BOp.LT || op == Expr.BOp.LE ? FCMPG : FCMPL);
      else mv.visitInsn(LCMP);
      mv.visitJumpInsn(switch (op) { case LT -> IFLT; case LE -> IFLE; case GT -> IFGT; case GE -> IFGE; case EQ -> IFEQ; default -> IFNE; }, yes);
    } else {
      mv.visitJumpInsn(switch (op) { case LT -> IF_ICMPLT; case LE -> IF_ICMPLE; case GT -> IF_ICMPGT; case GE -> IF_ICMPGE; case EQ -> IF_ICMPEQ; default -> IF_ICMPNE; }, yes);
    }
    mv.visitInsn(ICONST_0);
    mv.visitJumpInsn(GOTO, end);
    mv.visitLabel(yes);
    mv.visitInsn(ICONST_1);
    mv.visitLabel(end);
  }

  private void cast(KType from, KType to) {
    if (from == to || from == KType.BOOL && to == KType.INT) return;
    switch (to) {
      case F32 -> mv.visitInsn(from == KType.I64 ? L2F : I2F);
      case I64 -> mv.visitInsn(from == KType.F32 ? F2L : I2L);
      case INT -> mv.visitInsn(from == KType.F32 ? F2I : L2I);
      case BOOL -> {
        if (from == KType.INT) {
          Label yes = new Label(), end = new Label();
          mv.visitJumpInsn(IFNE, yes);
          mv.visitInsn(ICONST_0);
          mv.visitJumpInsn(GOTO, end);
          mv.visitLabel(yes);
          mv.visitInsn(ICONST_1);
          mv.visitLabel(end);
          return;
        }
        if (from == KType.F32) {
          mv.visitInsn(FCONST_0);
          mv.visitInsn(FCMPL);
        } else {
          mv.visitInsn(LCONST_0);
          mv.visitInsn(LCMP);
        }
        cast(KType.INT, KType.BOOL);
      }
      default -> throw new IllegalStateException("cast to " + to);
    }
  }

  private void toDouble(KType t) { mv.visitInsn(t == KType.F32 ? F2D : t == KType.I64 ? L2D : I2D); }

  private void fromDouble(KType t) { mv.visitInsn(t == KType.F32 ? D2F : t == KType.I64 ? D2L : D2I); }

  private static int pick(KType t, int f, int l, int i) { return t == KType.F32 ? f : t == KType.I64 ? l : i; }

  static String desc(KType t) { return t == KType.F32 ? "F" : t == KType.I64 ? "J" : "I"; }

  static int loadOp(KType t) { return t == KType.F32 ? FLOAD : t == KType.I64 ? LLOAD : ILOAD; }

  static int storeOp(KType t) { return t == KType.F32 ? FSTORE : t == KType.I64 ? LSTORE : ISTORE; }

  void pushInt(int v) {
    if (v >= -1 && v <= 5) mv.visitInsn(ICONST_0 + v);
    else if (v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE) mv.visitIntInsn(BIPUSH, v);
    else if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) mv.visitIntInsn(SIPUSH, v);
    else mv.visitLdcInsn(v);
  }
}
