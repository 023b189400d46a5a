package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation: an {@link OpDef}, operands, attributes, results and, for structured control flow, nested
 * blocks. There is one node class for every op; what differs between ops lives in their {@code OpDef}.
 */
public final class Node {
  private final OpDef op;
  private final List<Value> operands = new ArrayList<>();
  private final Map<String, Attr> attrs;
  private final List<Value> results = new ArrayList<>();
  private final List<Block> blocks = new ArrayList<>();
  Block block;

  private Node(OpDef op, Map<String, Attr> attrs) {
    this.op = op;
    this.attrs = new LinkedHashMap<>(attrs);
  }

  /**
   * Makes a detached node with explicit result types (no inference; see {@link OpDef#inferTypes} or
   * {@link Builder} for that). {@code blocks} empty blocks are created for control-flow ops.
   */
  public static Node create(OpDef op, List<Value> operands, Map<String, Attr> attrs, List<Type> resultTypes, int blocks) {
    Node n = new Node(op, attrs);
    for (Value v : operands) n.addOperand(v);
    for (Type t : resultTypes) n.results.add(new Value(t, null, n, null, n.results.size()));
    for (int i = 0; i < blocks; i++) n.addBlock(new Block());
    return n;
  }

  public OpDef op() { return op; }

  /** The block holding this node, or null while detached. */
  public Block block() { return block; }

  public List<Value> operands() { return Collections.unmodifiableList(operands); }

  public Value operand(int i) { return operands.get(i); }

  public int numOperands() { return operands.size(); }

  public void addOperand(Value v) {
    if (v == null) throw new IllegalArgumentException(op.name() + ": null operand");
    operands.add(v);
    v.addUse(this, operands.size() - 1);
  }

  public void setOperand(int i, Value v) {
    operands.get(i).removeUse(this, i);
    operands.set(i, v);
    v.addUse(this, i);
  }

  /** Replaces all operands, keeping use lists right. */
  public void setOperands(List<Value> vs) {
    dropOperands();
    for (Value v : vs) addOperand(v);
  }

  private void dropOperands() {
    for (int i = 0; i < operands.size(); i++) operands.get(i).removeUse(this, i);
    operands.clear();
  }

  public List<Value> results() { return Collections.unmodifiableList(results); }

  public Value result(int i) { return results.get(i); }

  /** The single result; throws if the node does not have exactly one. */
  public Value result() {
    if (results.size() != 1) throw new IrException(op.name() + " has " + results.size() + " results, expected 1");
    return results.get(0);
  }

  public List<Block> blocks() { return Collections.unmodifiableList(blocks); }

  public Block block(int i) { return blocks.get(i); }

  public void addBlock(Block b) {
    b.parent = this;
    blocks.add(b);
  }

  // ---- attributes

  /** Attributes in insertion order (the printer keeps that order); read-only. */
  public Map<String, Attr> attrs() { return Collections.unmodifiableMap(attrs); }

  public void setAttr(String name, Attr a) { attrs.put(name, a); }

  public boolean hasAttr(String name) { return attrs.containsKey(name); }

  /** The attribute, or its declared default, or null if neither. */
  public Attr attr(String name) {
    Attr a = attrs.get(name);
    return a != null ? a : op.defaultAttr(name);
  }

  private Attr required(String name) {
    Attr a = attr(name);
    if (a == null || a instanceof Attr.None) throw new IrException(op.name() + ": missing attribute '" + name + "'");
    return a;
  }

  public long attrInt(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Int i) return i.value();
    if (a instanceof Attr.Bool b) return b.value() ? 1 : 0;
    throw attrKind(name, "int", a);
  }

  public double attrFloat(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Float f) return f.value();
    if (a instanceof Attr.Int i) return i.value();
    throw attrKind(name, "float", a);
  }

  public boolean attrBool(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Bool b) return b.value();
    if (a instanceof Attr.Int i) return i.value() != 0;
    throw attrKind(name, "bool", a);
  }

  public String attrStr(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Str s) return s.value();
    throw attrKind(name, "string", a);
  }

  public long[] attrInts(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Ints l) return l.toArray();
    if (a instanceof Attr.Int i) return new long[] {i.value()};
    throw attrKind(name, "int list", a);
  }

  public double[] attrFloats(String name) {
    Attr a = required(name);
    if (a instanceof Attr.Floats l) return l.toArray();
    if (a instanceof Attr.Ints l) return l.values().stream().mapToDouble(Long::doubleValue).toArray();
    throw attrKind(name, "float list", a);
  }

  public DType attrDType(String name) {
    Attr a = required(name);
    if (a instanceof Attr.DTypeAttr d) return d.value();
    throw attrKind(name, "dtype", a);
  }

  /** True if the attribute is absent with no default, or explicitly none. */
  public boolean attrIsNone(String name) {
    Attr a = attr(name);
    return a == null || a instanceof Attr.None;
  }

  private IrException attrKind(String name, String expected, Attr got) {
    return new IrException(op.name() + ": attribute '" + name + "' is " + got.text() + ", expected " + expected);
  }

  // ---- editing

  /** Removes this node from its block; its results must have no uses left. */
  public void erase() {
    for (Value r : results)
      if (r.hasUses()) throw new IrException("cannot erase " + op.name() + ": result %" + r.displayName() + " still used");
    for (Block b : blocks) for (Node n : List.copyOf(b.nodes()).reversed()) n.erase();
    dropOperands();
    if (block != null) block.remove(this);
  }

  /** A short description for messages: {@code %3 = nn.add}. */
  public String describe() {
    if (results.isEmpty()) return op.name();
    return "%" + results.get(0).displayName() + " = " + op.name();
  }

  @Override public String toString() { return describe(); }
}
