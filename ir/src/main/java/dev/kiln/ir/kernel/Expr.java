package dev.kiln.ir.kernel;

/**
 * A scalar expression of Kernel IR: a pure tree evaluated once per loop iteration. Every node knows its result
 * {@link KType}. Index arithmetic uses {@code int}; element arithmetic uses the buffers' types.
 */
public sealed interface Expr {
  KType type();

  /** Unary operators; {@code not} takes and gives bool, the others keep their operand's type. */
  enum UOp { NEG, ABS, EXP, LOG, SQRT, TANH, FLOOR, NOT; public String text() { return name().toLowerCase(); } }

  /** Binary operators; comparisons give bool, {@code and}/{@code or} take bool, the others keep the operands' type. */
  enum BOp {
    ADD, SUB, MUL, DIV, REM, MAX, MIN, POW, LT, LE, GT, GE, EQ, NE, AND, OR;

    public boolean isCompare() { return ordinal() >= LT.ordinal() && ordinal() <= NE.ordinal(); }

    public String text() { return name().toLowerCase(); }
  }

  /** A constant; {@code value} is exact for every type used ({@code f32} values are floats widened to double). */
  record Const(KType type, double value) implements Expr {
    public Const {
      if (type == KType.F32) value = (float) value;
      else if (type != KType.BOOL) value = (long) value;
    }
  }

  /** A loop variable or a local defined by {@link Stmt.Let}. */
  record Var(String name, KType type) implements Expr {}

  /** Element {@code index} of buffer {@code buffer} (of element type {@code type}). */
  record Load(String buffer, KType type, Expr index) implements Expr {}

  record Unary(UOp op, Expr a) implements Expr {
    @Override public KType type() { return op == UOp.NOT ? KType.BOOL : a.type(); }
  }

  /** Both operands have one type (lowering inserts casts first). */
  record Binary(BOp op, Expr a, Expr b) implements Expr {
    public Binary {
      if (a.type() != b.type()) throw new IllegalArgumentException(op.text() + " of " + a.type() + " and " + b.type());
    }

    @Override public KType type() { return op.isCompare() ? KType.BOOL : a.type(); }
  }

  /** {@code cond ? a : b}; both arms evaluated (no side effects), so backends may use branch-free code. */
  record Select(Expr cond, Expr a, Expr b) implements Expr {
    @Override public KType type() { return a.type(); }
  }

  /** Conversion; float to integer truncates toward zero, anything to bool is {@code != 0}. */
  record Cast(KType type, Expr a) implements Expr {}

  static Expr f32(double v) { return new Const(KType.F32, v); }

  static Expr i32(long v) { return new Const(KType.INT, v); }

  static Expr bin(BOp op, Expr a, Expr b) { return new Binary(op, a, b); }

  /** {@code a + b} on ints, folding zero operands and constants (keeps index expressions short). */
  static Expr add(Expr a, Expr b) {
    if (a instanceof Const ca && ca.value() == 0) return b;
    if (b instanceof Const cb && cb.value() == 0) return a;
    if (a instanceof Const ca && b instanceof Const cb) return new Const(a.type(), ca.value() + cb.value());
    return new Binary(BOp.ADD, a, b);
  }

  /** {@code a * b} on ints, folding ones, zeros and constants. */
  static Expr mul(Expr a, Expr b) {
    if (a instanceof Const ca && ca.value() == 1) return b;
    if (b instanceof Const cb && cb.value() == 1) return a;
    if (a instanceof Const ca && ca.value() == 0 || b instanceof Const cb && cb.value() == 0) return new Const(a.type(), 0);
    if (a instanceof Const ca && b instanceof Const cb) return new Const(a.type(), ca.value() * cb.value());
    return new Binary(BOp.MUL, a, b);
  }

  /** The cast of {@code e} to {@code t}, or {@code e} itself when it already has that type (constants fold). */
  static Expr cast(KType t, Expr e) {
    if (e.type() == t) return e;
    if (e instanceof Const c) return new Const(t, t == KType.BOOL ? (c.value() != 0 ? 1 : 0) : c.value());
    return new Cast(t, e);
  }
}
