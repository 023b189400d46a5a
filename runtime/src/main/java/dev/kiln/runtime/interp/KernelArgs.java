package dev.kiln.runtime.interp;

import dev.kiln.ir.Node;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.List;

/**
 * What a kernel sees: the node (for attributes and messages) and the run-time values of its operands
 * (Tensor, Long, Double, Boolean, String, null, List, Tuple).
 */
public final class KernelArgs {
  private final Node node;
  private final List<Object> values;

  KernelArgs(Node node, List<Object> values) {
    this.node = node;
    this.values = values;
  }

  public Node node() { return node; }

  public int count() { return values.size(); }

  public boolean has(int i) { return i < values.size(); }

  public Object get(int i) { return values.get(i); }

  public List<Object> all() { return values; }

  public Tensor tensor(int i) {
    if (values.get(i) instanceof Tensor t) return t;
    throw fail("operand " + i + " is " + Values.describe(values.get(i)) + ", expected a tensor");
  }

  /** A tensor operand, or null when the optional operand is absent or none. */
  public Tensor optTensor(int i) {
    if (!has(i) || values.get(i) == null) return null;
    return tensor(i);
  }

  public long longAt(int i) {
    return switch (values.get(i)) {
      case Long l -> l;
      case Boolean b -> b ? 1 : 0;
      case Object o -> throw fail("operand " + i + " is " + Values.describe(o) + ", expected an int");
    };
  }

  @SuppressWarnings("unchecked")
  public List<Object> list(int i) {
    if (values.get(i) instanceof List<?> l) return (List<Object>) l;
    throw fail("operand " + i + " is " + Values.describe(values.get(i)) + ", expected a list");
  }

  public long attrInt(String name) { return node.attrInt(name); }

  public double attrFloat(String name) { return node.attrFloat(name); }

  public boolean attrBool(String name) { return node.attrBool(name); }

  public String attrStr(String name) { return node.attrStr(name); }

  public long[] attrInts(String name) { return node.attrInts(name); }

  public boolean attrIsNone(String name) { return node.attrIsNone(name); }

  /** An exception naming the node, e.g. {@code %7 = nn.add: shapes [2] and [3] do not broadcast}. */
  public KilnRuntimeException fail(String message) { return new KilnRuntimeException(node.describe() + ": " + message); }

  /** Normalizes a possibly negative dim against {@code rank}, as PyTorch does (rank 0 accepts -1 and 0). */
  public int dim(long d, int rank) {
    int r = Math.max(rank, 1);
    if (d < -r || d >= r) throw fail("dim " + d + " is out of range for rank " + rank);
    return (int) (d < 0 ? d + r : d);
  }
}
