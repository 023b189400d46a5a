package dev.kiln.ir.ops;

import static dev.kiln.ir.OpDef.AttrKind.INT;
import static dev.kiln.ir.OpDef.Trait.COMMUTATIVE;
import static dev.kiln.ir.OpDef.Trait.PURE;

import dev.kiln.ir.DType;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeContext;
import java.util.ArrayList;
import java.util.List;

/** Scalar arithmetic, sizes, lists and tuples: what TorchScript computes besides tensors. */
public final class PrimOps {
  private PrimOps() {}

  // int op int -> int; any float -> float.
  private static OpDef arith(String name, String summary, OpDef.Trait... traits) {
    return OpDef.op("prim." + name).summary(summary).operands("a", "b").traits(PURE).traits(traits)
        .rule(c -> List.of(numeric(c, 0) == PrimType.FLOAT || numeric(c, 1) == PrimType.FLOAT ? PrimType.FLOAT : PrimType.INT))
        .build();
  }

  private static PrimType numeric(TypeContext c, int i) {
    Type t = c.type(i);
    if (t == PrimType.INT || t == PrimType.FLOAT) return (PrimType) t;
    if (t == PrimType.BOOL) return PrimType.INT;
    throw c.fail(c.operandName(i) + " is " + t.text() + ", expected int or float");
  }

  private static OpDef compare(String name, String summary) {
    return OpDef.op("prim." + name).summary(summary).operands("a", "b").traits(PURE)
        .rule(c -> List.of(PrimType.BOOL)).build();
  }

  public static final OpDef ADD = arith("add", "scalar a + b: %c = prim.add(%a, %b) : int", COMMUTATIVE);
  public static final OpDef SUB = arith("sub", "scalar a - b: %c = prim.sub(%a, %b) : int");
  public static final OpDef MUL = arith("mul", "scalar a * b: %c = prim.mul(%a, %b) : int", COMMUTATIVE);
  public static final OpDef FLOORDIV = arith("floordiv", "scalar a // b, rounding down: %c = prim.floordiv(%a, %b) : int");
  public static final OpDef MOD = arith("mod", "scalar a % b with the sign of b: %c = prim.mod(%a, %b) : int");
  public static final OpDef MIN = arith("min", "scalar min(a, b): %c = prim.min(%a, %b) : int", COMMUTATIVE);
  public static final OpDef MAX = arith("max", "scalar max(a, b): %c = prim.max(%a, %b) : int", COMMUTATIVE);

  public static final OpDef DIV = OpDef.op("prim.div").summary("scalar true division: %c = prim.div(%a, %b) : float")
      .operands("a", "b").traits(PURE).rule(c -> { numeric(c, 0); numeric(c, 1); return List.of(PrimType.FLOAT); }).build();

  public static final OpDef POW = OpDef.op("prim.pow").summary("scalar a ** b (float unless both int): %c = prim.pow(%a, %b) : float")
      .operands("a", "b").traits(PURE)
      .rule(c -> List.of(numeric(c, 0) == PrimType.INT && numeric(c, 1) == PrimType.INT ? PrimType.INT : PrimType.FLOAT)).build();

  public static final OpDef NEG = OpDef.op("prim.neg").summary("scalar -a: %b = prim.neg(%a) : int")
      .operands("a").traits(PURE).rule(c -> List.of(numeric(c, 0))).build();

  public static final OpDef EQ = compare("eq", "a == b on numbers, bools, strings or none: %c = prim.eq(%a, %b) : bool");
  public static final OpDef NE = compare("ne", "a != b: %c = prim.ne(%a, %b) : bool");
  public static final OpDef LT = compare("lt", "a < b on numbers: %c = prim.lt(%a, %b) : bool");
  public static final OpDef LE = compare("le", "a <= b on numbers: %c = prim.le(%a, %b) : bool");
  public static final OpDef GT = compare("gt", "a > b on numbers: %c = prim.gt(%a, %b) : bool");
  public static final OpDef GE = compare("ge", "a >= b on numbers: %c = prim.ge(%a, %b) : bool");

  public static final OpDef NOT = OpDef.op("prim.not").summary("boolean not: %b = prim.not(%a) : bool")
      .operands("a").traits(PURE).rule(c -> List.of(PrimType.BOOL)).build();
  public static final OpDef AND = OpDef.op("prim.and").summary("boolean and: %c = prim.and(%a, %b) : bool")
      .operands("a", "b").traits(PURE, COMMUTATIVE).rule(c -> List.of(PrimType.BOOL)).build();
  public static final OpDef OR = OpDef.op("prim.or").summary("boolean or: %c = prim.or(%a, %b) : bool")
      .operands("a", "b").traits(PURE, COMMUTATIVE).rule(c -> List.of(PrimType.BOOL)).build();

  public static final OpDef IS_NONE = OpDef.op("prim.is_none").summary("true if the value is none: %b = prim.is_none(%x) : bool")
      .operands("x").traits(PURE).rule(c -> List.of(PrimType.BOOL)).build();

  /** Python's int(), float(), bool() on a number or a one-element tensor. */
  private static OpDef convert(String name, PrimType to) {
    return OpDef.op("prim." + name).summary("convert a number or one-element tensor: %b = prim." + name + "(%a) : " + to.text())
        .operands("a").traits(PURE).rule(c -> List.of(to)).build();
  }

  public static final OpDef INT_ = convert("int", PrimType.INT);
  public static final OpDef FLOAT_ = convert("float", PrimType.FLOAT);
  public static final OpDef BOOL_ = convert("bool", PrimType.BOOL);

  public static final OpDef SIZE = OpDef.op("prim.size").summary("size of one dim: %n = prim.size(%x) {dim=0} : int")
      .operands("x").attr("dim", INT).traits(PURE)
      .rule(c -> { TensorType t = c.tensor(0); if (t.shape().isRanked()) c.dim(c.attrInt("dim"), t.rank()); return List.of(PrimType.INT); })
      .build();

  public static final OpDef SHAPE = OpDef.op("prim.shape").summary("all sizes: %s = prim.shape(%x) : list<int>")
      .operands("x").traits(PURE).rule(c -> { c.tensor(0); return List.of(new ListType(PrimType.INT)); }).build();

  public static final OpDef RANK = OpDef.op("prim.rank").summary("number of dims: %r = prim.rank(%x) : int")
      .operands("x").traits(PURE).rule(c -> { c.tensor(0); return List.of(PrimType.INT); }).build();

  public static final OpDef NUMEL = OpDef.op("prim.numel").summary("number of elements: %n = prim.numel(%x) : int")
      .operands("x").traits(PURE).rule(c -> { c.tensor(0); return List.of(PrimType.INT); }).build();

  /** TorchScript's NumToTensor: a zero-dim tensor (i64 for int, f64 for float, bool for bool). */
  public static final OpDef TO_TENSOR = OpDef.op("prim.to_tensor").summary("number to zero-dim tensor: %t = prim.to_tensor(%n) : i64[]")
      .operands("a").traits(PURE).rule(c -> {
        Type t = c.type(0);
        DType d = t == PrimType.INT ? DType.I64 : t == PrimType.FLOAT ? DType.F64 : t == PrimType.BOOL ? DType.BOOL : null;
        if (d == null) throw c.fail("expected int, float or bool, got " + t.text());
        return List.of(Type.tensor(d, dev.kiln.ir.Shape.SCALAR));
      }).build();

  /** The single element of a tensor as a number: int for integer dtypes, float for floating, bool for bool. */
  public static final OpDef ITEM = OpDef.op("prim.item").summary("one-element tensor to number: %n = prim.item(%t) : float")
      .operands("t").traits(PURE).rule(c -> {
        DType d = c.tensor(0).dtype();
        return List.of(d == DType.BOOL ? PrimType.BOOL : d.isFloat() ? PrimType.FLOAT : PrimType.INT);
      }).build();

  public static final OpDef LIST = OpDef.op("prim.list").summary("list of values of one type: %l = prim.list(%a, %b) : list<int>")
      .operands("elements*").traits(PURE).rule(c -> {
        if (c.numOperands() == 0) throw c.fail("an empty list needs its type written: use const {value=[]} : list<T>");
        Type e = c.type(0);
        for (Type t : c.operandTypes()) if (!sameKind(e, t)) throw c.fail("list elements differ: " + e.text() + " and " + t.text());
        return List.of(new ListType(e instanceof TensorType tt ? Type.tensor(tt.dtype(), dev.kiln.ir.Shape.UNRANKED) : e));
      }).build();

  private static boolean sameKind(Type a, Type b) {
    if (a instanceof TensorType ta && b instanceof TensorType tb) return ta.dtype() == tb.dtype();
    return a.equals(b);
  }

  public static final OpDef TUPLE = OpDef.op("prim.tuple").summary("tuple of values: %t = prim.tuple(%a, %b) : tuple<int,f32[2]>")
      .operands("elements*").traits(PURE).rule(c -> List.of(new TupleType(c.operandTypes()))).build();

  public static final OpDef TUPLE_GET = OpDef.op("prim.tuple_get").summary("tuple element: %a = prim.tuple_get(%t) {index=0} : int")
      .operands("t").attr("index", INT).traits(PURE).rule(c -> {
        if (!(c.type(0) instanceof TupleType tt)) throw c.fail("expected a tuple, got " + c.type(0).text());
        long i = c.attrInt("index");
        if (i < 0 || i >= tt.elements().size()) throw c.fail("index " + i + " out of range for " + tt.text());
        return List.of(tt.elements().get((int) i));
      }).build();

  public static final OpDef UNPACK = OpDef.op("prim.unpack").summary("all tuple elements: %a, %b = prim.unpack(%t) : (int, f32[2])")
      .operands("t").traits(PURE).rule(c -> {
        if (!(c.type(0) instanceof TupleType tt)) throw c.fail("expected a tuple, got " + c.type(0).text());
        return tt.elements();
      }).build();

  public static final OpDef LIST_GET = OpDef.op("prim.list_get").summary("list element, negative index from the end: %a = prim.list_get(%l, %i) : int")
      .operands("list", "index").traits(PURE).rule(c -> {
        Type e = listOf(c).element();
        if (c.type(1) != PrimType.INT) throw c.fail("index must be int, got " + c.type(1).text());
        return List.of(e);
      }).build();

  public static final OpDef LIST_UNPACK = OpDef.op("prim.list_unpack").summary("n list elements: %a, %b = prim.list_unpack(%l) {n=2} : (int, int)")
      .operands("list").attr("n", INT).traits(PURE).rule(c -> {
        Type e = listOf(c).element();
        if (c.attrInt("n") < 0) throw c.fail("n must be non-negative, got " + c.attrInt("n"));
        List<Type> out = new ArrayList<>();
        for (long i = 0; i < c.attrInt("n"); i++) out.add(e);
        return out;
      }).build();

  public static final OpDef LEN = OpDef.op("prim.len").summary("list length: %n = prim.len(%l) : int")
      .operands("list").traits(PURE).rule(c -> { listOf(c); return List.of(PrimType.INT); }).build();

  /** Narrows an optional to its element (TorchScript's unchecked_cast after an is-none test). */
  public static final OpDef UNWRAP = OpDef.op("prim.unwrap").summary("optional to its value, error if none: %x = prim.unwrap(%o) : f32[*]")
      .operands("o").traits(PURE).rule(c -> List.of(c.type(0) instanceof OptionalType o ? o.element() : c.type(0))).build();

  private static ListType listOf(TypeContext c) {
    if (c.type(0) instanceof ListType l) return l;
    throw c.fail("expected a list, got " + c.type(0).text());
  }

  public static final List<OpDef> ALL = List.of(ADD, SUB, MUL, DIV, FLOORDIV, MOD, POW, MIN, MAX, NEG, EQ, NE, LT, LE, GT, GE,
      NOT, AND, OR, IS_NONE, INT_, FLOAT_, BOOL_, SIZE, SHAPE, RANK, NUMEL, TO_TENSOR, ITEM, LIST, TUPLE, TUPLE_GET, UNPACK,
      LIST_GET, LIST_UNPACK, LEN, UNWRAP);
}
