package dev.kiln.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An SSA value: defined exactly once, either as a result of a {@link Node} or as an argument of a {@link Block}.
 * It knows its users. Its type may be refined by shape inference; its name is a hint for printing.
 */
public final class Value {
  /** One use of a value: operand {@code index} of {@code user}. */
  public record Use(Node user, int index) {}

  private Type type;
  private String name;
  private final Node definingNode;
  private final Block definingBlock;
  private final int index;
  private final List<Use> uses = new ArrayList<>();

  Value(Type type, String name, Node definingNode, Block definingBlock, int index) {
    if (type == null) throw new IllegalArgumentException("value needs a type");
    this.type = type;
    this.name = name;
    this.definingNode = definingNode;
    this.definingBlock = definingBlock;
    this.index = index;
  }

  public Type type() { return type; }

  /** The type as a tensor type; throws {@link IrException} if it is not a tensor. */
  public TensorType tensorType() {
    if (type instanceof TensorType t) return t;
    throw new IrException("%" + displayName() + " is " + type.text() + ", expected a tensor");
  }

  public void setType(Type type) {
    if (type == null) throw new IllegalArgumentException("value needs a type");
    this.type = type;
  }

  /** The name hint, without the '%'; may be null (the printer then numbers the value). */
  public String name() { return name; }

  public void setName(String name) { this.name = name; }

  public String displayName() { return name != null ? name : "<unnamed>"; }

  /** The node whose result this is, or null for a block argument. */
  public Node definingNode() { return definingNode; }

  /** The block whose argument this is, or null for a node result. */
  public Block definingBlock() { return definingBlock; }

  /** Position among the defining node's results or the block's arguments. */
  public int index() { return index; }

  /** Uses in no particular order; read-only. */
  public List<Use> uses() { return Collections.unmodifiableList(uses); }

  public boolean hasUses() { return !uses.isEmpty(); }

  void addUse(Node user, int i) { uses.add(new Use(user, i)); }

  void removeUse(Node user, int i) {
    for (int k = 0; k < uses.size(); k++) {
      Use u = uses.get(k);
      if (u.user() == user && u.index() == i) {
        uses.remove(k);
        return;
      }
    }
    throw new IllegalStateException("use " + i + " of " + user.op().name() + " not recorded on %" + displayName());
  }

  /** Makes every user of this value use {@code replacement} instead. */
  public void replaceAllUsesWith(Value replacement) {
    if (replacement == this) return;
    for (Use u : List.copyOf(uses)) u.user().setOperand(u.index(), replacement);
  }

  @Override public String toString() { return "%" + displayName() + ": " + type.text(); }
}
