package dev.kiln.ir;

import dev.kiln.ir.ops.ControlOps;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates nodes with inferred result types and inserts them at an insertion point: the end of a block, or
 * before a node. Use {@link #attrs} to write attribute maps inline.
 */
public final class Builder {
  private Block block;
  private Node before;

  private Builder(Block block, Node before) {
    this.block = block;
    this.before = before;
  }

  /** Inserts at the end of {@code block}. */
  public static Builder atEnd(Block block) { return new Builder(block, null); }

  /** Inserts before {@code node}, which must be in a block. */
  public static Builder before(Node node) {
    if (node.block() == null) throw new IrException(node.describe() + " is not in a block");
    return new Builder(node.block(), node);
  }

  public Block block() { return block; }

  /** Infers result types from the op's rule, makes the node and inserts it. */
  public Node create(OpDef op, List<Value> operands, Map<String, Attr> attrs) {
    List<Type> types = op.inferTypes(operands.stream().map(Value::type).toList(), attrs);
    return insert(Node.create(op, operands, attrs, types, op.numBlocks()));
  }

  /** Makes a node with explicit result types (control flow, constants) and inserts it. */
  public Node createTyped(OpDef op, List<Value> operands, Map<String, Attr> attrs, List<Type> types) {
    op.checkSchema(operands.size(), attrs);
    return insert(Node.create(op, operands, attrs, types, op.numBlocks()));
  }

  /** Single-result shorthand: {@code b.op(ElementwiseOps.ADD, Builder.attrs(), x, y)}. */
  public Value op(OpDef op, Map<String, Attr> attrs, Value... operands) {
    return create(op, Arrays.asList(operands), attrs).result();
  }

  public Value op(OpDef op, Value... operands) { return op(op, Map.of(), operands); }

  /** A named weight of the given type. */
  public Value weight(String name, Type type) {
    return createTyped(ControlOps.CONST, List.of(), attrs("name", name), List.of(type)).result();
  }

  /** A literal constant: a number, a flat list for a tensor or list, or none. */
  public Value literal(Attr value, Type type) {
    return createTyped(ControlOps.CONST, List.of(), attrs("value", value), List.of(type)).result();
  }

  public Node ret(Value... values) {
    return createTyped(ControlOps.RETURN, Arrays.asList(values), Map.of(), List.of());
  }

  private Node insert(Node n) {
    if (before != null) block.insertBefore(before, n);
    else block.append(n);
    return n;
  }

  /**
   * An ordered attribute map from alternating names and values; values may be Attr, Long/Integer, Double,
   * Boolean, String, long[] or double[], DType.
   */
  public static Map<String, Attr> attrs(Object... kv) {
    if (kv.length % 2 != 0) throw new IllegalArgumentException("attrs takes name/value pairs");
    Map<String, Attr> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], toAttr(kv[i + 1]));
    return m;
  }

  static Attr toAttr(Object o) {
    return switch (o) {
      case Attr a -> a;
      case Integer i -> Attr.of((long) i);
      case Long l -> Attr.of(l);
      case Double d -> Attr.of(d);
      case Float f -> Attr.of((double) f);
      case Boolean b -> Attr.of(b);
      case String s -> Attr.of(s);
      case long[] l -> Attr.ints(l);
      case int[] l -> Attr.ints(Arrays.stream(l).asLongStream().toArray());
      case double[] d -> Attr.floats(d);
      case DType d -> new Attr.DTypeAttr(d);
      default -> throw new IllegalArgumentException("not an attribute value: " + o);
    };
  }
}
