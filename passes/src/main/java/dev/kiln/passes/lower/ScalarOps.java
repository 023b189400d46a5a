package dev.kiln.passes.lower;

import static dev.kiln.ir.kernel.Expr.BOp.*;

import dev.kiln.ir.Node;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.Expr.BOp;
import dev.kiln.ir.kernel.Expr.UOp;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import java.util.List;

/**
 * The scalar function of each elementwise graph op, as a Kernel IR expression over its operands' element values.
 * Intermediate values used more than once become {@code Let} locals (appended to {@code out}), so an expression is
 * a tree but nothing is computed twice. Ops without a scalar form throw {@link Unsupported}.
 */
final class ScalarOps {
  private final LowerContext c;
  private final List<Stmt> out;

  ScalarOps(LowerContext c, List<Stmt> out) {
    this.c = c;
    this.out = out;
  }

  /** A local holding {@code e} (or {@code e} itself when it is already a variable or constant). */
  Expr let(Expr e) {
    if (e instanceof Expr.Var || e instanceof Expr.Const) return e;
    String n = c.freshVar("v");
    out.add(new Stmt.Let(n, e, false));
    return new Expr.Var(n, e.type());
  }

  /**
   * @param n the elementwise node
   * @param args one expression per operand (element values; numbers as constants), any types
   * @param res the element type of the result
   */
  Expr apply(Node n, List<Expr> args, KType res) {
    String op = n.op().name();
    KType cmp = promote(args);
    return switch (op) {
      case "nn.add", "nn.sub" -> {
        Expr a = Expr.cast(res, args.get(0)), b = Expr.cast(res, args.get(1));
        double alpha = n.attrFloat("alpha");
        if (alpha != 1) b = Expr.bin(MUL, b, new Expr.Const(res, alpha));
        yield Expr.bin(op.equals("nn.add") ? ADD : SUB, a, b);
      }
      case "nn.mul" -> Expr.bin(MUL, Expr.cast(res, args.get(0)), Expr.cast(res, args.get(1)));
      case "nn.div" -> {
        if (res != KType.F32) throw new Unsupported("integer division");
        Expr q = Expr.bin(DIV, Expr.cast(res, args.get(0)), Expr.cast(res, args.get(1)));
        if (n.attrIsNone("rounding_mode")) yield q;
        if (n.attrStr("rounding_mode").equals("floor")) yield new Expr.Unary(UOp.FLOOR, q);
        Expr v = let(q); // trunc: toward zero
        yield new Expr.Select(Expr.bin(LT, v, Expr.f32(0)), Expr.bin(SUB, Expr.f32(0), new Expr.Unary(UOp.FLOOR, Expr.bin(SUB, Expr.f32(0), v))), new Expr.Unary(UOp.FLOOR, v));
      }
      case "nn.pow" -> Expr.bin(POW, Expr.cast(res, args.get(0)), Expr.cast(res, args.get(1)));
      case "nn.maximum" -> Expr.bin(MAX, Expr.cast(res, args.get(0)), Expr.cast(res, args.get(1)));
      case "nn.minimum" -> Expr.bin(MIN, Expr.cast(res, args.get(0)), Expr.cast(res, args.get(1)));
      case "nn.eq" -> compare(EQ, args, cmp);
      case "nn.ne" -> compare(NE, args, cmp);
      case "nn.lt" -> compare(LT, args, cmp);
      case "nn.le" -> compare(LE, args, cmp);
      case "nn.gt" -> compare(GT, args, cmp);
      case "nn.ge" -> compare(GE, args, cmp);
      case "nn.where" -> new Expr.Select(Expr.cast(KType.BOOL, args.get(0)), Expr.cast(res, args.get(1)), Expr.cast(res, args.get(2)));
      case "nn.masked_fill" -> new Expr.Select(Expr.cast(KType.BOOL, args.get(1)), Expr.cast(res, args.get(2)), Expr.cast(res, args.get(0)));
      case "nn.relu" -> Expr.bin(MAX, x(args, res), new Expr.Const(res, 0));
      case "nn.hardtanh" -> clamp(x(args, res), n.attrFloat("min_val"), n.attrFloat("max_val"), res);
      case "nn.clamp" -> clamp(x(args, res), n.attrIsNone("min") ? Double.NaN : n.attrFloat("min"), n.attrIsNone("max") ? Double.NaN : n.attrFloat("max"), res);
      case "nn.leaky_relu" -> {
        Expr x = let(x(args, res));
        yield new Expr.Select(Expr.bin(GT, x, Expr.f32(0)), x, Expr.bin(MUL, x, Expr.f32(n.attrFloat("negative_slope"))));
      }
      case "nn.gelu" -> gelu(let(x(args, res)), n.attrStr("approximate").equals("tanh"));
      case "nn.sigmoid" -> sigmoid(x(args, res));
      case "nn.silu" -> {
        Expr x = let(x(args, res));
        yield Expr.bin(MUL, x, sigmoid(x));
      }
      case "nn.hardsigmoid" -> hardsigmoid(x(args, res));
      case "nn.hardswish" -> {
        Expr x = let(x(args, res));
        yield Expr.bin(MUL, x, hardsigmoid(x));
      }
      case "nn.tanh" -> new Expr.Unary(UOp.TANH, x(args, res));
      case "nn.exp" -> new Expr.Unary(UOp.EXP, x(args, res));
      case "nn.log" -> new Expr.Unary(UOp.LOG, x(args, res));
      case "nn.sqrt" -> new Expr.Unary(UOp.SQRT, x(args, res));
      case "nn.rsqrt" -> Expr.bin(DIV, Expr.f32(1), new Expr.Unary(UOp.SQRT, x(args, res)));
      case "nn.erf" -> erf(let(x(args, res)));
      case "nn.neg" -> new Expr.Unary(UOp.NEG, x(args, res));
      case "nn.abs" -> new Expr.Unary(UOp.ABS, x(args, res));
      case "nn.logical_not" -> new Expr.Unary(UOp.NOT, Expr.cast(KType.BOOL, args.get(0)));
      case "nn.dropout" -> x(args, res);
      case "nn.to" -> Expr.cast(res, args.get(0));
      default -> throw new Unsupported(op + " has no scalar lowering");
    };
  }

  private static Expr x(List<Expr> args, KType res) { return Expr.cast(res, args.get(0)); }

  /** The type two operands are compared in: f32 if either is, else i64, else bool. */
  static KType promote(List<Expr> args) {
    KType t = KType.BOOL;
    for (Expr e : args) {
      if (e.type() == KType.F32) return KType.F32;
      if (e.type() == KType.I64 || e.type() == KType.INT) t = KType.I64;
    }
    return t;
  }

  private static Expr compare(BOp op, List<Expr> args, KType t) {
    return Expr.bin(op, Expr.cast(t, args.get(0)), Expr.cast(t, args.get(1)));
  }

  private static Expr clamp(Expr x, double lo, double hi, KType t) {
    if (!Double.isNaN(hi)) x = Expr.bin(MIN, x, new Expr.Const(t, hi));
    if (!Double.isNaN(lo)) x = Expr.bin(MAX, x, new Expr.Const(t, lo));
    return x;
  }

  // sigmoid(x) = 1 / (1 + e^-x)
  static Expr sigmoid(Expr x) {
    return Expr.bin(DIV, Expr.f32(1), Expr.bin(ADD, Expr.f32(1), new Expr.Unary(UOp.EXP, new Expr.Unary(UOp.NEG, x))));
  }

  // hardsigmoid(x) = min(max(x + 3, 0), 6) / 6
  private static Expr hardsigmoid(Expr x) {
    return Expr.bin(DIV, Expr.bin(MIN, Expr.bin(MAX, Expr.bin(ADD, x, Expr.f32(3)), Expr.f32(0)), Expr.f32(6)), Expr.f32(6));
  }

  // gelu(x) = x/2 * (1 + erf(x / sqrt 2)); tanh form: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
  private Expr gelu(Expr x, boolean tanh) {
    Expr inner = tanh
        ? new Expr.Unary(UOp.TANH, Expr.bin(MUL, Expr.f32(Math.sqrt(2 / Math.PI)),
            Expr.bin(ADD, x, Expr.bin(MUL, Expr.f32(0.044715), Expr.bin(MUL, x, Expr.bin(MUL, x, x))))))
        : erf(let(Expr.bin(MUL, x, Expr.f32(1 / Math.sqrt(2)))));
    return Expr.bin(MUL, Expr.bin(MUL, x, Expr.f32(0.5)), Expr.bin(ADD, Expr.f32(1), inner));
  }

  /**
   * erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7, under f32 rounding of the result):
   * t = 1 / (1 + p|x|), erf|x| = 1 - t(a1 + t(a2 + t(a3 + t(a4 + t a5)))) e^(-x^2), sign restored.
   */
  private Expr erf(Expr x) {
    Expr ax = let(new Expr.Unary(UOp.ABS, x));
    Expr t = let(Expr.bin(DIV, Expr.f32(1), Expr.bin(ADD, Expr.f32(1), Expr.bin(MUL, Expr.f32(0.3275911), ax))));
    double[] a = {0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};
    Expr poly = Expr.f32(a[4]);
    for (int i = 3; i >= 0; i--) poly = Expr.bin(ADD, Expr.f32(a[i]), Expr.bin(MUL, t, poly));
    Expr y = let(Expr.bin(SUB, Expr.f32(1), Expr.bin(MUL, Expr.bin(MUL, t, poly),
        new Expr.Unary(UOp.EXP, new Expr.Unary(UOp.NEG, Expr.bin(MUL, ax, ax))))));
    return new Expr.Select(Expr.bin(LT, x, Expr.f32(0)), new Expr.Unary(UOp.NEG, y), y);
  }
}
