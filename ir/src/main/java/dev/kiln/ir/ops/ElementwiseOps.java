package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.DTYPE;
import static dev.kiln.ir.OpDef.AttrKind.FLOAT;
import static dev.kiln.ir.OpDef.AttrKind.STR;
import static dev.kiln.ir.OpDef.Trait.COMMUTATIVE;
import static dev.kiln.ir.OpDef.Trait.ELEMENTWISE;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.List;

/**
 * Elementwise tensor ops with PyTorch broadcasting and type promotion. Binary ops take two tensors or a tensor
 * and a number ({@code int}/{@code float} value), in either order.
 */
public final class ElementwiseOps {
  private ElementwiseOps() {}

  /** Broadcast shape of every tensor operand; numbers do not take part. */
  static Shape broadcastAll(TypeContext c) {
    TensorType acc = null;
    for (int i = 0; i < c.numOperands(); i++) {
      if (!(c.type(i) instanceof TensorType t)) continue;
      if (acc == null) { acc = t; continue; }
      try {
        acc = acc.withShape(ShapeRules.broadcast(c, acc.shape(), t.shape()));
      } catch (dev.kiln.ir.TypeError e) {
        throw c.fail("shapes " + acc.text() + " and " + t.text() + " do not broadcast");
      }
    }
    if (acc == null) throw c.fail("needs at least one tensor operand");
    return acc.shape();
  }

  private static OpDef binary(String name, String summary, OpDef.Trait... traits) {
    return OpDef.op("nn." + name).summary(summary).operands("a", "b").traits(PURE, ELEMENTWISE).traits(traits)
        .rule(c -> List.of(Type.tensor(ShapeRules.promote(c, c.operandTypes()), broadcastAll(c)))).build();
  }

  private static OpDef compare(String name, String sym) {
    return OpDef.op("nn." + name).summary("elementwise a " + sym + " b to bool: %m = nn." + name + "(%a, %b) : bool[4]")
        .operands("a", "b").traits(PURE, ELEMENTWISE)
        .rule(c -> { ShapeRules.promote(c, c.operandTypes()); return List.of(Type.tensor(DType.BOOL, broadcastAll(c))); }).build();
  }

  /** Unary op keeping the dtype; integer inputs are promoted to f32 when {@code floatOnly}. */
  static OpDef unary(String name, String summary, boolean floatOnly, OpDef.Builder extra) {
    return unary(summary, extra, (c, t) -> floatOnly && !t.dtype().isFloat() ? DType.F32 : t.dtype());
  }

  /** Unary op whose result dtype {@code dtype} picks from the (non-quantized) input, failing on what it rejects. */
  private static OpDef unary(String summary, OpDef.Builder extra, java.util.function.BiFunction<TypeContext, TensorType, DType> dtype) {
    return extra.summary(summary).operands("x").traits(PURE, ELEMENTWISE).rule(c -> {
      TensorType t = c.tensor(0);
      if (t.dtype().isQuantized()) throw c.fail("quantized " + t.text() + " needs a quantized op");
      return List.of(Type.tensor(dtype.apply(c, t), t.shape()));
    }).build();
  }

  private static OpDef unary(String name, String summary, boolean floatOnly) {
    return unary(name, summary, floatOnly, OpDef.op("nn." + name));
  }

  // PyTorch rejects a fractional alpha for integral results and subtraction of bool tensors.
  private static List<Type> addSub(TypeContext c, boolean sub) {
    DType d = ShapeRules.promote(c, c.operandTypes());
    if (sub && d == DType.BOOL) throw c.fail("subtracting bool tensors is not supported; use nn.logical_not to invert a mask");
    if (!d.isFloat() && c.attr("alpha") instanceof Attr.Float f && f.value() != Math.rint(f.value()))
      throw c.fail("alpha " + f.text() + " must be an integer for " + d + " operands");
    return List.of(Type.tensor(d, broadcastAll(c)));
  }

  /** a + alpha * b */
  public static final OpDef ADD = OpDef.op("nn.add").summary("a + alpha * b: %c = nn.add(%a, %b) {alpha=1} : f32[2,3]")
      .operands("a", "b").attr("alpha", FLOAT, Attr.of(1L)).traits(PURE, ELEMENTWISE).rule(c -> addSub(c, false)).build();
  /** a - alpha * b */
  public static final OpDef SUB = OpDef.op("nn.sub").summary("a - alpha * b: %c = nn.sub(%a, %b) {alpha=1} : f32[2,3]")
      .operands("a", "b").attr("alpha", FLOAT, Attr.of(1L)).traits(PURE, ELEMENTWISE).rule(c -> addSub(c, true)).build();
  public static final OpDef MUL = binary("mul", "a * b: %c = nn.mul(%a, %b) : f32[2,3]", COMMUTATIVE);
  /** True division (integers give f32) unless rounding_mode is "trunc" or "floor". */
  public static final OpDef DIV = OpDef.op("nn.div").summary("a / b: %c = nn.div(%a, %b) {rounding_mode=\"floor\"} : f32[2,3]")
      .operands("a", "b").optAttr("rounding_mode", STR).traits(PURE, ELEMENTWISE).rule(c -> {
        DType d = ShapeRules.promote(c, c.operandTypes());
        if (c.attr("rounding_mode") instanceof Attr.Str m && !List.of("trunc", "floor").contains(m.value()))
          throw c.fail("rounding_mode must be \"trunc\" or \"floor\", got " + c.attr("rounding_mode").text());
        if (c.attrIsNone("rounding_mode") && !d.isFloat()) d = DType.F32;
        return List.of(Type.tensor(d, broadcastAll(c)));
      }).build();
  public static final OpDef POW = binary("pow", "a ** b: %c = nn.pow(%a, %b) : f32[2,3]");
  public static final OpDef MAXIMUM = binary("maximum", "elementwise max: %c = nn.maximum(%a, %b) : f32[2,3]", COMMUTATIVE);
  public static final OpDef MINIMUM = binary("minimum", "elementwise min: %c = nn.minimum(%a, %b) : f32[2,3]", COMMUTATIVE);

  public static final OpDef EQ = compare("eq", "==");
  public static final OpDef NE = compare("ne", "!=");
  public static final OpDef LT = compare("lt", "<");
  public static final OpDef LE = compare("le", "<=");
  public static final OpDef GT = compare("gt", ">");
  public static final OpDef GE = compare("ge", ">=");

  /** cond ? a : b, broadcasting all three. */
  public static final OpDef WHERE = OpDef.op("nn.where").summary("select by mask: %c = nn.where(%m, %a, %b) : f32[2,3]")
      .operands("cond", "a", "b").traits(PURE, ELEMENTWISE).rule(c -> {
        if (c.tensor(0).dtype() != DType.BOOL) throw c.fail("cond must be bool, got " + c.type(0).text());
        return List.of(Type.tensor(ShapeRules.promote(c, c.operandTypes().subList(1, 3)), broadcastAll(c)));
      }).build();

  /** x where mask is false, value (a number or zero-dim tensor) where true; x and mask broadcast together, as torch.masked_fill. */
  public static final OpDef MASKED_FILL = OpDef.op("nn.masked_fill")
      .summary("fill where mask: %y = nn.masked_fill(%x, %mask, %v) : f32[2,3]")
      .operands("x", "mask", "value").traits(PURE, ELEMENTWISE).rule(c -> {
        TensorType x = c.tensor(0);
        if (c.tensor(1).dtype() != DType.BOOL) throw c.fail("mask must be bool, got " + c.type(1).text());
        Type v = c.type(2);
        boolean scalar = v == dev.kiln.ir.PrimType.INT || v == dev.kiln.ir.PrimType.FLOAT || v == dev.kiln.ir.PrimType.BOOL
            || v instanceof TensorType vt && vt.shape().isRanked() && vt.rank() == 0;
        if (!scalar) throw c.fail("value must be a number or a zero-dim tensor, got " + v.text());
        Shape s = ShapeRules.broadcast(c, x.shape(), c.tensor(1).shape());
        return List.of(Type.tensor(x.dtype(), s));
      }).build();

  public static final OpDef RELU = unary("relu", "max(x, 0): %y = nn.relu(%x) : f32[2,3]", false);
  public static final OpDef HARDTANH = unary("hardtanh", "clamp to [min_val, max_val] (relu6 is 0..6): %y = nn.hardtanh(%x) {min_val=0.0, max_val=6.0} : f32[4]",
      false, OpDef.op("nn.hardtanh").attr("min_val", FLOAT, Attr.of(-1.0)).attr("max_val", FLOAT, Attr.of(1.0)));
  /** clamp with optional bounds (absent means unbounded). */
  public static final OpDef CLAMP = unary("clamp", "clamp: %y = nn.clamp(%x) {min=0.0} : f32[4]", false,
      OpDef.op("nn.clamp").optAttr("min", FLOAT).optAttr("max", FLOAT));
  public static final OpDef LEAKY_RELU = unary("leaky_relu", "x or slope*x below 0: %y = nn.leaky_relu(%x) {negative_slope=0.01} : f32[4]",
      true, OpDef.op("nn.leaky_relu").attr("negative_slope", FLOAT, Attr.of(0.01)));
  /** approximate is "none" (erf) or "tanh". */
  public static final OpDef GELU = unary("x * Phi(x): %y = nn.gelu(%x) {approximate=\"none\"} : f32[4]",
      OpDef.op("nn.gelu").attr("approximate", STR, Attr.of("none")), (c, t) -> {
        if (c.attr("approximate") instanceof Attr.Str a && !List.of("none", "tanh").contains(a.value()))
          throw c.fail("approximate must be \"none\" or \"tanh\", got " + c.attr("approximate").text());
        return t.dtype().isFloat() ? t.dtype() : DType.F32;
      });
  public static final OpDef SILU = unary("silu", "x * sigmoid(x): %y = nn.silu(%x) : f32[4]", true);
  public static final OpDef SIGMOID = unary("sigmoid", "1 / (1 + exp(-x)): %y = nn.sigmoid(%x) : f32[4]", true);
  public static final OpDef HARDSIGMOID = unary("hardsigmoid", "relu6(x + 3) / 6: %y = nn.hardsigmoid(%x) : f32[4]", true);
  public static final OpDef HARDSWISH = unary("hardswish", "x * relu6(x + 3) / 6: %y = nn.hardswish(%x) : f32[4]", true);
  public static final OpDef TANH = unary("tanh", "tanh(x): %y = nn.tanh(%x) : f32[4]", true);
  public static final OpDef EXP = unary("exp", "e^x: %y = nn.exp(%x) : f32[4]", true);
  public static final OpDef LOG = unary("log", "natural log: %y = nn.log(%x) : f32[4]", true);
  public static final OpDef SQRT = unary("sqrt", "square root: %y = nn.sqrt(%x) : f32[4]", true);
  public static final OpDef RSQRT = unary("rsqrt", "1 / sqrt(x): %y = nn.rsqrt(%x) : f32[4]", true);
  public static final OpDef ERF = unary("erf", "error function: %y = nn.erf(%x) : f32[4]", true);
  public static final OpDef NEG = unary("-x: %y = nn.neg(%x) : f32[4]", OpDef.op("nn.neg"), (c, t) -> {
    if (t.dtype() == DType.BOOL) throw c.fail("negating a bool tensor is not supported; use nn.logical_not");
    return t.dtype();
  });
  public static final OpDef ABS = unary("abs", "|x|: %y = nn.abs(%x) : f32[4]", false);
  /** As torch.logical_not: nonzero is true, and the result is bool whatever the input dtype. */
  public static final OpDef NOT = unary("not x, giving bool: %y = nn.logical_not(%m) : bool[4]", OpDef.op("nn.logical_not"), (c, t) -> DType.BOOL);
  /** Identity at inference (eval mode); kept so that imported graphs print as they read. */
  public static final OpDef DROPOUT = unary("dropout", "identity in eval mode: %y = nn.dropout(%x) {p=0.5} : f32[4]", false,
      OpDef.op("nn.dropout").attr("p", FLOAT, Attr.of(0.5)));

  /** Converts the element type (values rounded toward zero into integers, as PyTorch does). */
  public static final OpDef TO = OpDef.op("nn.to").summary("cast: %y = nn.to(%x) {dtype=i64} : i64[4]")
      .operands("x").attr("dtype", DTYPE).traits(PURE, ELEMENTWISE)
      .rule(c -> {
        TensorType x = c.tensor(0);
        DType to = c.attrDType("dtype");
        if (to.isQuantized() || x.dtype().isQuantized()) throw c.fail("cannot cast " + x.text() + " to " + to + "; quantizing needs a quantized op");
        return List.of(Type.tensor(to, x.shape()));
      }).build();

  public static final List<OpDef> ALL = List.of(ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM, EQ, NE, LT, LE, GT, GE, WHERE,
      MASKED_FILL, RELU, HARDTANH, CLAMP, LEAKY_RELU, GELU, SILU, SIGMOID, HARDSIGMOID, HARDSWISH, TANH, EXP, LOG, SQRT, RSQRT,
      ERF, NEG, ABS, NOT, DROPOUT, TO);
}
