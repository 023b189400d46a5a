package dev.kiln.frontend.torchscript.ops;

import static dev.kiln.frontend.torchscript.ops.Args.get;

import dev.kiln.frontend.torchscript.LoweringContext;
import dev.kiln.frontend.torchscript.OpLowering;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.DType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ElementwiseOps;
import dev.kiln.ir.ops.PrimOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Arithmetic with Python semantics (numbers fold, run-time numbers become {@code prim.*}, tensors {@code nn.*}),
 * activations and casts. {@code torch.add} also concatenates strings and lists, as Python's {@code +} does.
 */
final class ElementwiseLowerings {
  private ElementwiseLowerings() {}

  static void register(Registrar r) {
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.ADD), "torch.add", "torch.add_");
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.SUB), "torch.sub", "torch.sub_");
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.MUL), "torch.mul", "torch.mul_");
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.DIV), "torch.div", "torch.div_");
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.FLOORDIV), "torch.floordiv", "torch.floor_divide");
    r.add((cx, a, kw) -> arith(cx, a, kw, Arith.REMAINDER), "torch.remainder");
    r.add(ElementwiseLowerings::pow, "torch.pow");
    r.add(ElementwiseLowerings::neg, "torch.neg");
    r.add(ElementwiseLowerings::sqrt, "torch.sqrt");
    unary(r, ElementwiseOps.RELU, "relu");
    unary(r, ElementwiseOps.SIGMOID, "sigmoid");
    unary(r, ElementwiseOps.TANH, "tanh");
    unary(r, ElementwiseOps.EXP, "exp");
    unary(r, ElementwiseOps.LOG, "log");
    unary(r, ElementwiseOps.ABS, "abs");
    unary(r, ElementwiseOps.ERF, "erf");
    unary(r, ElementwiseOps.RSQRT, "rsqrt");
    unary(r, ElementwiseOps.SILU, "silu");
    unary(r, ElementwiseOps.HARDSWISH, "hardswish");
    unary(r, ElementwiseOps.HARDSIGMOID, "hardsigmoid");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.HARDTANH, Builder.attrs(
        "min_val", Attr.of(cx.constFloat(get(a, kw, 1, "min_val", -1.0), "min_val")),
        "max_val", Attr.of(cx.constFloat(get(a, kw, 2, "max_val", 1.0), "max_val"))), x(cx, a)), "torch.hardtanh", "torch.hardtanh_");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.HARDTANH, Builder.attrs("min_val", 0.0, "max_val", 6.0), x(cx, a)), "torch.relu6", "torch.relu6_");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.LEAKY_RELU, Builder.attrs("negative_slope",
        Attr.of(cx.constFloat(get(a, kw, 1, "negative_slope", 0.01), "negative_slope"))), x(cx, a)), "torch.leaky_relu", "torch.leaky_relu_");
    r.add(ElementwiseLowerings::clamp, "torch.clamp", "torch.clamp_");
    r.add((cx, a, kw) -> {
      Object approx = get(a, kw, 1, "approximate", "none");
      if (!(approx instanceof String s)) throw cx.fail("approximate must be a string known while lowering");
      return cx.emit(ElementwiseOps.GELU, Builder.attrs("approximate", s), x(cx, a));
    }, "torch.gelu");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.MASKED_FILL, Map.of(), x(cx, a),
        cx.tensor(get(a, 1, null), "mask"), Args.operand(cx, get(a, kw, 2, "value", null), "value")), "torch.masked_fill", "torch.masked_fill_");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.WHERE, Map.of(), cx.tensor(get(a, 0, null), "condition"),
        Args.operand(cx, get(a, 1, null), "input"), Args.operand(cx, get(a, 2, null), "other")), "torch.where");
    r.add((cx, a, kw) -> cx.emit(ElementwiseOps.NOT, Map.of(), x(cx, a)), "torch.logical_not");
    r.add((cx, a, kw) -> logical(cx, a, ElementwiseOps.ADD), "torch.logical_or");
    r.add((cx, a, kw) -> logical(cx, a, ElementwiseOps.MUL), "torch.logical_and");
    r.add(ElementwiseLowerings::to, "torch.to");
  }

  static Value x(LoweringContext cx, List<Object> args) {
    Args.need(cx, args, 1, "a tensor argument");
    return cx.tensor(args.get(0), "input");
  }

  private static void unary(Registrar r, OpDef op, String name) {
    OpLowering l = (cx, a, kw) -> cx.emit(op, Map.of(), x(cx, a));
    r.add(l, "torch." + name, "torch." + name + "_");
  }

  enum Arith { ADD, SUB, MUL, DIV, FLOORDIV, REMAINDER }

  /** torch.add(a, b, alpha) and friends on tensors, numbers, strings and lists. */
  static Object arith(LoweringContext cx, List<Object> args, Map<String, Object> kw, Arith op) {
    Args.need(cx, args, 2, "two operands");
    Object a = args.get(0), b = args.get(1);
    Object alpha = get(args, kw, 2, "alpha", 1L);
    Object rounding = op == Arith.DIV ? get(args, kw, 2, "rounding_mode", null) : null;
    if (op == Arith.DIV) alpha = 1L;
    if (op == Arith.ADD && a instanceof String sa && b instanceof String sb) return sa + sb;
    if (op == Arith.ADD && a instanceof List<?> la && b instanceof List<?> lb) {
      List<Object> out = new ArrayList<>(la);
      out.addAll(lb);
      return out;
    }
    boolean tensors = Args.isTensor(a) || Args.isTensor(b);
    Number na = tensors ? Args.literalNumber(a) : Args.knownNumber(a), nb = tensors ? Args.literalNumber(b) : Args.knownNumber(b);
    Number nalpha = Args.knownNumber(alpha);
    // Sizes computed on zero-dim integer tensors (traced NumToTensor arithmetic) fold like Python ints.
    if (na != null && nb != null && nalpha != null && (!tensors || Args.integral(na) && Args.integral(nb))) {
      Number folded = fold(cx, op, na, Args.integral(nalpha) && nalpha.longValue() == 1 ? nb : mulNum(nalpha, nb), rounding);
      return tensors ? cx.tensor(folded, "folded " + op.name().toLowerCase()) : folded;
    }
    if (tensors) return tensorArith(cx, op, a, b, alpha, rounding);
    if (rounding != null) throw cx.fail("rounding_mode applies to tensors; got " + Args.describe(a) + " and " + Args.describe(b));
    Value va = cx.scalar(a, "a"), vb = cx.scalar(b, "b");
    if (nalpha == null || !(nalpha.doubleValue() == 1.0)) vb = cx.emit(PrimOps.MUL, Map.of(), cx.scalar(alpha, "alpha"), vb);
    OpDef p = switch (op) {
      case ADD -> PrimOps.ADD;
      case SUB -> PrimOps.SUB;
      case MUL -> PrimOps.MUL;
      case DIV -> PrimOps.DIV;
      case FLOORDIV -> PrimOps.FLOORDIV;
      case REMAINDER -> PrimOps.MOD;
    };
    return cx.emit(p, Map.of(), va, vb);
  }

  private static Number mulNum(Number a, Number b) {
    return Args.integral(a) && Args.integral(b) ? (Number) (a.longValue() * b.longValue()) : (Number) (a.doubleValue() * b.doubleValue());
  }

  /** Python arithmetic on known numbers: int op int stays int (except true division), floor semantics for // and %. */
  static Number fold(LoweringContext cx, Arith op, Number a, Number b, Object rounding) {
    boolean ints = Args.integral(a) && Args.integral(b);
    if ((op == Arith.DIV || op == Arith.FLOORDIV || op == Arith.REMAINDER) && b.doubleValue() == 0 && ints)
      throw cx.fail("division by zero: " + a + " and " + b);
    return switch (op) {
      case ADD -> ints ? (Number) (a.longValue() + b.longValue()) : (Number) (a.doubleValue() + b.doubleValue());
      case SUB -> ints ? (Number) (a.longValue() - b.longValue()) : (Number) (a.doubleValue() - b.doubleValue());
      case MUL -> mulNum(a, b);
      case DIV -> {
        if (rounding == null) yield a.doubleValue() / b.doubleValue();
        if ("trunc".equals(rounding)) yield ints ? (Number) (a.longValue() / b.longValue()) : (Number) (double) (long) (a.doubleValue() / b.doubleValue());
        if ("floor".equals(rounding)) yield ints ? (Number) Math.floorDiv(a.longValue(), b.longValue()) : (Number) Math.floor(a.doubleValue() / b.doubleValue());
        throw cx.fail("rounding_mode must be 'trunc' or 'floor', got " + Args.describe(rounding));
      }
      case FLOORDIV -> ints ? (Number) Math.floorDiv(a.longValue(), b.longValue()) : (Number) Math.floor(a.doubleValue() / b.doubleValue());
      case REMAINDER -> ints ? (Number) Math.floorMod(a.longValue(), b.longValue())
          : (Number) (a.doubleValue() - Math.floor(a.doubleValue() / b.doubleValue()) * b.doubleValue());
    };
  }

  private static Value tensorArith(LoweringContext cx, Arith op, Object a, Object b, Object alpha, Object rounding) {
    Value va = Args.operand(cx, a, "self"), vb = Args.operand(cx, b, "other");
    Map<String, Attr> attrs = new LinkedHashMap<>();
    if ((op == Arith.ADD || op == Arith.SUB) && !(Args.knownNumber(alpha) instanceof Long l && l == 1))
      attrs.put("alpha", Args.number(cx, alpha, "alpha"));
    return switch (op) {
      case ADD -> cx.emit(ElementwiseOps.ADD, attrs, va, vb);
      case SUB -> cx.emit(ElementwiseOps.SUB, attrs, va, vb);
      case MUL -> cx.emit(ElementwiseOps.MUL, attrs, va, vb);
      case DIV -> {
        if (rounding != null && !(rounding instanceof String)) throw cx.fail("rounding_mode must be a string known while lowering");
        yield cx.emit(ElementwiseOps.DIV, rounding == null ? Map.of() : Builder.attrs("rounding_mode", rounding), va, vb);
      }
      case FLOORDIV -> cx.emit(ElementwiseOps.DIV, Builder.attrs("rounding_mode", "floor"), va, vb);
      // Python's remainder takes the sign of the divisor: a - floor(a / b) * b.
      case REMAINDER -> cx.emit(ElementwiseOps.SUB, Map.of(), va,
          cx.emit(ElementwiseOps.MUL, Map.of(), cx.emit(ElementwiseOps.DIV, Builder.attrs("rounding_mode", "floor"), va, vb), vb));
    };
  }

  private static Object pow(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 2, "pow(self, exponent)");
    Object a = args.get(0), b = args.get(1);
    Number na = Args.knownNumber(a), nb = Args.knownNumber(b);
    if (na != null && nb != null) {
      if (Args.integral(na) && Args.integral(nb) && nb.longValue() >= 0) return (long) Math.pow(na.longValue(), nb.longValue());
      return Math.pow(na.doubleValue(), nb.doubleValue());
    }
    if (Args.isTensor(a) || Args.isTensor(b)) return cx.emit(ElementwiseOps.POW, Map.of(), Args.operand(cx, a, "self"), Args.operand(cx, b, "exponent"));
    return cx.emit(PrimOps.POW, Map.of(), cx.scalar(a, "self"), cx.scalar(b, "exponent"));
  }

  private static Object neg(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 1, "neg(self)");
    Number n = Args.knownNumber(args.get(0));
    if (n != null) return Args.integral(n) ? (Number) (-n.longValue()) : (Number) (-n.doubleValue());
    if (Args.isTensor(args.get(0))) return cx.emit(ElementwiseOps.NEG, Map.of(), (Value) args.get(0));
    return cx.emit(PrimOps.NEG, Map.of(), cx.scalar(args.get(0), "self"));
  }

  /** torch.sqrt also prints Python's math.sqrt on numbers. */
  private static Object sqrt(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Args.need(cx, args, 1, "sqrt(self)");
    Number n = Args.knownNumber(args.get(0));
    if (n != null) return Math.sqrt(n.doubleValue());
    if (Args.isTensor(args.get(0))) return cx.emit(ElementwiseOps.SQRT, Map.of(), (Value) args.get(0));
    return cx.emit(PrimOps.POW, Map.of(), cx.scalar(args.get(0), "self"), cx.scalar(0.5, "exponent"));
  }

  private static Object clamp(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Map<String, Attr> attrs = new LinkedHashMap<>();
    Object min = get(args, kw, 1, "min", null), max = get(args, kw, 2, "max", null);
    if (min != null) attrs.put("min", Attr.of(cx.constFloat(min, "min")));
    if (max != null) attrs.put("max", Attr.of(cx.constFloat(max, "max")));
    return cx.emit(ElementwiseOps.CLAMP, attrs, x(cx, args));
  }

  /** logical_or(a, b) = (int(a != 0) + int(b != 0)) > 0; logical_and uses * instead of +. */
  private static Value logical(LoweringContext cx, List<Object> args, OpDef combine) {
    Args.need(cx, args, 2, "two tensors");
    Value a = asInt(cx, cx.tensor(args.get(0), "self")), b = asInt(cx, cx.tensor(args.get(1), "other"));
    return cx.emit(ElementwiseOps.GT, Map.of(), cx.emit(combine, Map.of(), a, b), cx.scalar(0L, "zero"));
  }

  private static Value asInt(LoweringContext cx, Value t) {
    Value bool = cx.typeOf(t).dtype() == DType.BOOL ? t : cx.emit(ElementwiseOps.NE, Map.of(), t, cx.scalar(0L, "zero"));
    return cx.emit(ElementwiseOps.TO, Builder.attrs("dtype", DType.I64), bool);
  }

  /** torch.to(x, dtype, ...), to(x, device, dtype, ...), to(x, other_tensor, ...): only the dtype matters on CPU. */
  private static Object to(LoweringContext cx, List<Object> args, Map<String, Object> kw) {
    Value x = x(cx, args);
    Object second = get(args, 1, null);
    Object dtype = kw.get("dtype");
    if (Args.isTensor(second)) return cast(cx, x, cx.typeOf((Value) second).dtype());
    if (second instanceof String) second = get(args, 2, null);
    if (dtype == null && !(second instanceof Boolean)) dtype = second;
    if (dtype == null) return x;
    long code = cx.constInt(dtype, "dtype");
    DType d = ScalarTypes.dtype(code);
    if (d == null) throw cx.fail("ScalarType " + code + " has no Kiln dtype");
    return cast(cx, x, d);
  }

  static Value cast(LoweringContext cx, Value x, DType d) {
    if (cx.typeOf(x).dtype() == d) return x;
    return cx.emit(ElementwiseOps.TO, Builder.attrs("dtype", d), x);
  }
}
