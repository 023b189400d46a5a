package dev.kiln.ir;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one declaration of an op: name, operand and attribute schema, result type rule, traits and a one-line
 * summary with a text example. Reference kernels are bound to ops by name in the runtime (which owns tensors);
 * a test checks that every op has one.
 */
public final class OpDef {
  /** Properties that passes match on. */
  public enum Trait {
    /** No side effects: may be removed when unused, deduplicated, folded. */
    PURE,
    /** Applies one scalar function per element with broadcasting; output shape is the broadcast shape. */
    ELEMENTWISE,
    /** Ends a block. */
    TERMINATOR,
    /** Holds blocks (if, loop). */
    CONTROL_FLOW,
    /** Operand order does not matter. */
    COMMUTATIVE,
    /** Changes only how elements are viewed (reshape, permute, slice ...), never their values. */
    MOVEMENT,
    /** Has observable effects (raises, warns); never removed or reordered. */
    SIDE_EFFECT
  }

  /** How many values an operand position takes. */
  public enum Arity { ONE, OPTIONAL, VARIADIC }

  public record OperandSpec(String name, Arity arity) {}

  public enum AttrKind { INT, FLOAT, BOOL, STR, INTS, FLOATS, DTYPE, ANY }

  /** An attribute: {@code required} ones must be given; others fall back to {@code dflt} (which may be null). */
  public record AttrSpec(String name, AttrKind kind, boolean required, Attr dflt) {}

  /** Computes result types from operand types and attributes; throws {@link TypeError} with what is wrong. */
  @FunctionalInterface
  public interface TypeRule {
    List<Type> infer(TypeContext c);
  }

  private final String name;
  private final String summary;
  private final List<OperandSpec> operands;
  private final Map<String, AttrSpec> attrs;
  private final Set<Trait> traits;
  private final int numBlocks;
  private final TypeRule rule;

  private OpDef(Builder b) {
    this.name = b.name;
    this.summary = b.summary;
    this.operands = List.copyOf(b.operands);
    this.attrs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.attrs));
    this.traits = b.traits.isEmpty() ? EnumSet.noneOf(Trait.class) : EnumSet.copyOf(b.traits);
    this.numBlocks = b.numBlocks;
    this.rule = b.rule;
    if (summary == null || summary.isBlank()) throw new IllegalStateException(name + " needs a summary");
  }

  public static Builder op(String name) { return new Builder(name); }

  public String name() { return name; }

  public String summary() { return summary; }

  public List<OperandSpec> operandSpecs() { return operands; }

  public Map<String, AttrSpec> attrSpecs() { return attrs; }

  public boolean hasTrait(Trait t) { return traits.contains(t); }

  public Set<Trait> traits() { return java.util.Collections.unmodifiableSet(traits); }

  /** Number of nested blocks a node of this op holds. */
  public int numBlocks() { return numBlocks; }

  /** True when result types come from the type rule; false for ops whose results are given explicitly. */
  public boolean hasTypeRule() { return rule != null; }

  public Attr defaultAttr(String attr) {
    AttrSpec s = attrs.get(attr);
    return s == null ? null : s.dflt();
  }

  /** The smallest and largest operand count allowed ({@code Integer.MAX_VALUE} when variadic). */
  public int minOperands() {
    int n = 0;
    for (OperandSpec s : operands) if (s.arity() == Arity.ONE) n++;
    return n;
  }

  public int maxOperands() {
    int n = 0;
    for (OperandSpec s : operands) {
      if (s.arity() == Arity.VARIADIC) return Integer.MAX_VALUE;
      n++;
    }
    return n;
  }

  /**
   * Checks operand count and attributes against the schema, then applies the type rule.
   *
   * @throws TypeError naming the op and what does not fit
   */
  public List<Type> inferTypes(List<Type> operandTypes, Map<String, Attr> given) {
    checkSchema(operandTypes.size(), given);
    if (rule == null) throw new TypeError(name + " has no type rule; its result types must be given");
    return rule.infer(new TypeContext(this, operandTypes, given));
  }

  /** Checks the operand count and that every attribute is declared, of the declared kind, and present if required. */
  public void checkSchema(int numOperands, Map<String, Attr> given) {
    if (numOperands < minOperands() || numOperands > maxOperands()) {
      String want = maxOperands() == Integer.MAX_VALUE ? "at least " + minOperands()
          : minOperands() == maxOperands() ? Integer.toString(minOperands()) : minOperands() + " to " + maxOperands();
      throw new TypeError(name + " takes " + want + " operands, got " + numOperands);
    }
    for (Map.Entry<String, Attr> e : given.entrySet()) {
      AttrSpec s = attrs.get(e.getKey());
      if (s == null) throw new TypeError(name + " has no attribute '" + e.getKey() + "' (it has " + attrs.keySet() + ")");
      if (!fits(s.kind(), e.getValue()))
        throw new TypeError(name + ": attribute '" + e.getKey() + "' is " + e.getValue().text() + ", expected " + s.kind().name().toLowerCase());
    }
    for (AttrSpec s : attrs.values())
      if (s.required() && !given.containsKey(s.name())) throw new TypeError(name + ": missing attribute '" + s.name() + "'");
  }

  private static boolean fits(AttrKind k, Attr a) {
    if (a instanceof Attr.None) return true;
    return switch (k) {
      case INT -> a instanceof Attr.Int;
      case FLOAT -> a instanceof Attr.Float || a instanceof Attr.Int;
      case BOOL -> a instanceof Attr.Bool;
      case STR -> a instanceof Attr.Str;
      case INTS -> a instanceof Attr.Ints || a instanceof Attr.Int;
      case FLOATS -> a instanceof Attr.Floats || a instanceof Attr.Ints;
      case DTYPE -> a instanceof Attr.DTypeAttr;
      case ANY -> true;
    };
  }

  @Override public String toString() { return name; }

  /** Fluent declaration of an op; see the op family classes for use. */
  public static final class Builder {
    private final String name;
    private String summary;
    private final List<OperandSpec> operands = new ArrayList<>();
    private final Map<String, AttrSpec> attrs = new LinkedHashMap<>();
    private final Set<Trait> traits = EnumSet.noneOf(Trait.class);
    private int numBlocks;
    private TypeRule rule;

    private Builder(String name) { this.name = name; }

    public Builder summary(String s) { summary = s; return this; }

    /** Operand names; a trailing {@code ?} makes one optional (only at the end), {@code *} variadic. */
    public Builder operands(String... names) {
      for (String n : names) {
        if (n.endsWith("?")) operands.add(new OperandSpec(n.substring(0, n.length() - 1), Arity.OPTIONAL));
        else if (n.endsWith("*")) operands.add(new OperandSpec(n.substring(0, n.length() - 1), Arity.VARIADIC));
        else operands.add(new OperandSpec(n, Arity.ONE));
      }
      return this;
    }

    public Builder attr(String n, AttrKind k) { attrs.put(n, new AttrSpec(n, k, true, null)); return this; }

    public Builder attr(String n, AttrKind k, Attr dflt) { attrs.put(n, new AttrSpec(n, k, false, dflt)); return this; }

    /** An attribute that may be absent, with no default. */
    public Builder optAttr(String n, AttrKind k) { attrs.put(n, new AttrSpec(n, k, false, null)); return this; }

    public Builder traits(Trait... ts) { traits.addAll(List.of(ts)); return this; }

    public Builder blocks(int n) { numBlocks = n; return this; }

    public Builder rule(TypeRule r) { rule = r; return this; }

    public OpDef build() { return new OpDef(this); }
  }
}
