package dev.kiln.ir;

import java.util.List;
import java.util.Map;

/** What a {@link OpDef.TypeRule} sees: operand types and attributes (defaults filled in), plus checking helpers. */
public final class TypeContext {
  private final OpDef op;
  private final List<Type> operands;
  private final Map<String, Attr> attrs;

  TypeContext(OpDef op, List<Type> operands, Map<String, Attr> attrs) {
    this.op = op;
    this.operands = operands;
    this.attrs = attrs;
  }

  public OpDef op() { return op; }

  public int numOperands() { return operands.size(); }

  public List<Type> operandTypes() { return operands; }

  public Type type(int i) { return operands.get(i); }

  /** Operand {@code i} as a tensor type, or a {@link TypeError} naming the operand. */
  public TensorType tensor(int i) {
    if (operands.get(i) instanceof TensorType t) return t;
    throw fail("operand " + i + " (" + operandName(i) + ") is " + operands.get(i).text() + ", expected a tensor");
  }

  /** Operand {@code i} as a ranked tensor type. */
  public TensorType ranked(int i) {
    TensorType t = tensor(i);
    if (!t.shape().isRanked()) throw fail("operand " + i + " (" + operandName(i) + ") needs a known rank, got " + t.text());
    return t;
  }

  /** Checks that operand {@code i} has rank {@code r}. */
  public TensorType rank(int i, int r) {
    TensorType t = ranked(i);
    if (t.rank() != r) throw fail(operandName(i) + " must have rank " + r + ", got " + t.text());
    return t;
  }

  public boolean has(int i) { return i < operands.size(); }

  public String operandName(int i) {
    List<OpDef.OperandSpec> specs = op.operandSpecs();
    if (specs.isEmpty()) return "#" + i;
    return specs.get(Math.min(i, specs.size() - 1)).name();
  }

  public Attr attr(String n) {
    Attr a = attrs.get(n);
    return a != null ? a : op.defaultAttr(n);
  }

  public boolean attrIsNone(String n) {
    Attr a = attr(n);
    return a == null || a instanceof Attr.None;
  }

  public long attrInt(String n) {
    Attr a = attr(n);
    if (a instanceof Attr.Int i) return i.value();
    if (a instanceof Attr.Bool b) return b.value() ? 1 : 0;
    throw fail("attribute '" + n + "' must be an int");
  }

  public double attrFloat(String n) {
    Attr a = attr(n);
    if (a instanceof Attr.Float f) return f.value();
    if (a instanceof Attr.Int i) return i.value();
    throw fail("attribute '" + n + "' must be a float");
  }

  public boolean attrBool(String n) {
    Attr a = attr(n);
    if (a instanceof Attr.Bool b) return b.value();
    throw fail("attribute '" + n + "' must be a bool");
  }

  public long[] attrInts(String n) {
    Attr a = attr(n);
    if (a instanceof Attr.Ints l) return l.toArray();
    if (a instanceof Attr.Int i) return new long[] {i.value()};
    throw fail("attribute '" + n + "' must be an int list");
  }

  public DType attrDType(String n) {
    Attr a = attr(n);
    if (a instanceof Attr.DTypeAttr d) return d.value();
    throw fail("attribute '" + n + "' must be a dtype");
  }

  /** Normalizes a possibly negative dim index against {@code rank}, as PyTorch does. */
  public int dim(long d, int rank) {
    int r = Math.max(rank, 1);
    if (d < -r || d >= r) throw fail("dim " + d + " is out of range for rank " + rank);
    return (int) (d < 0 ? d + r : d);
  }

  public TypeError fail(String message) { return new TypeError(op.name() + ": " + message); }
}
