package dev.kiln.passes.rewrite;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.Type;
import dev.kiln.ir.TypeError;
import dev.kiln.ir.Value;
import dev.kiln.passes.Program;
import dev.kiln.runtime.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The edits a {@link RewritePattern} may make, each reported to the driver so that the nodes it affects are looked
 * at again. New nodes are inserted just before the root being rewritten, which dominates everything the root
 * dominates. Made by {@link GreedyRewriter}; one instance per root.
 */
public final class Rewriter {
  private final Program program;
  private final Node root;
  private final Consumer<Node> revisit;
  private boolean refinedTypes;
  private final java.util.Set<Node> created = java.util.Collections.newSetFromMap(new java.util.LinkedHashMap<>());

  Rewriter(Program program, Node root, Consumer<Node> revisit) {
    this.program = program;
    this.root = root;
    this.revisit = revisit;
  }

  public Program program() { return program; }

  /** The weight table (mutable; add new weights under fresh names, see {@link #freshWeightName}). */
  public Map<String, Tensor> weights() { return program.weights(); }

  /** The node being rewritten. */
  public Node root() { return root; }

  /** True once a value was replaced by one of a more precise type (users' types may then be refined). */
  boolean refinedTypes() { return refinedTypes; }

  /** A builder inserting before the root; prefer the methods below, which report what they create. */
  private Builder builder() { return Builder.before(root); }

  /** A new literal {@code const {value=...}} of {@code type} before the root. */
  public Value literal(Attr value, Type type) { return created(builder().literal(value, type).definingNode()).result(); }

  /** A new named weight {@code const {name=...}} of {@code type} before the root. */
  public Value weight(String name, Type type) { return created(builder().weight(name, type).definingNode()).result(); }

  /** A weight name not yet in the table, built from {@code base}: {@code base}, {@code base.1}, ... */
  public String freshWeightName(String base) {
    if (!program.weights().containsKey(base)) return base;
    for (int i = 1; ; i++) if (!program.weights().containsKey(base + "." + i)) return base + "." + i;
  }

  /** A node with inferred result types before the root. */
  public Node create(OpDef op, List<Value> operands, Map<String, Attr> attrs) { return created(builder().create(op, operands, attrs)); }

  /**
   * A single-result node meant to replace a value of type {@code expected}: written as {@code expected} when that
   * refines what the op's rule infers, or as the inferred type when that refines {@code expected}; when neither
   * holds nothing is created and null is returned.
   */
  public Value createAs(OpDef op, List<Value> operands, Map<String, Attr> attrs, Type expected) {
    List<Type> inferred;
    try {
      inferred = op.inferTypes(operands.stream().map(Value::type).toList(), attrs);
    } catch (TypeError e) {
      return null;
    }
    if (inferred.size() != 1) return null;
    // Written as expected when that is at least as precise; as inferred when inference knows more (the
    // replacement then refines the value it stands for, see replaceValue).
    Type t = Types.refines(expected, inferred.get(0)) ? expected : Types.refines(inferred.get(0), expected) ? inferred.get(0) : null;
    if (t == null) return null;
    return created(builder().createTyped(op, operands, attrs, List.of(t))).result();
  }

  /** Registers a node the pattern built itself (for example a clone) so that it is visited. */
  public Node created(Node n) {
    created.add(n);
    revisit.accept(n);
    return n;
  }

  /**
   * Makes every user of {@code old} use {@code replacement}. Its type must equal or refine {@code old}'s.
   *
   * @throws IllegalArgumentException when {@code replacement}'s type is less precise or different (a pattern bug)
   */
  public void replaceValue(Value old, Value replacement) {
    if (old == replacement) return;
    if (!replacement.type().equals(old.type())) {
      if (!Types.refines(replacement.type(), old.type()))
        throw new IllegalArgumentException("cannot replace " + old + " by " + replacement + ": types differ");
      refinedTypes = true;
    }
    for (Value.Use u : old.uses()) revisit.accept(u.user());
    old.replaceAllUsesWith(replacement);
    if (replacement.definingNode() != null) revisit.accept(replacement.definingNode());
  }

  /** Whether {@code replacement} may stand for {@code old} (same or more precise type). */
  public static boolean canReplace(Value old, Value replacement) {
    return replacement.type().equals(old.type()) || Types.refines(replacement.type(), old.type());
  }

  /** Replaces the results of {@code n} one to one and erases it. */
  public void replace(Node n, List<Value> replacements) {
    if (replacements.size() != n.results().size())
      throw new IllegalArgumentException(n.describe() + " has " + n.results().size() + " results, got " + replacements.size() + " replacements");
    for (int i = 0; i < replacements.size(); i++) {
      Value old = n.result(i), r = replacements.get(i);
      replaceValue(old, r);
      // A node built by this rewrite takes over the name of what it replaces, so printed IR stays readable.
      if (r.name() == null && old.name() != null && created.contains(r.definingNode())) r.setName(old.name());
    }
    erase(n);
  }

  /** Replaces the single result of {@code n} and erases it. */
  public void replace(Node n, Value replacement) { replace(n, List.of(replacement)); }

  /** Erases {@code n}, whose results must be unused; the producers of its operands are revisited (they may be dead now). */
  public void erase(Node n) {
    List<Value> ops = List.copyOf(n.operands());
    n.erase();
    for (Value v : ops) if (v.definingNode() != null) revisit.accept(v.definingNode());
  }
}
