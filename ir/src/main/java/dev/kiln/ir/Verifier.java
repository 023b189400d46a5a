package dev.kiln.ir;

import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Checks that a graph is well formed and reports every problem at once, each message naming the node
 * ({@code %7 = nn.add: shapes f32[1,64] and f32[1,32] do not broadcast}). Checked: SSA dominance across nested
 * blocks, use lists against operands, each node's schema and (for ops with a type rule) its written result types
 * against the inferred ones, terminators, the block signatures of {@code if} and {@code loop}, {@code const}
 * literals against their types, and that block arguments and all value types are well formed.
 *
 * <p>Stateless from the caller's view; safe to call from several threads on different graphs. The graph is only
 * read, never changed.
 */
public final class Verifier {
  private final Graph graph;
  private final List<String> problems = new ArrayList<>();
  /** Every value defined in the graph (params, block arguments, results) and every node in it. */
  private final Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Node> nodes = Collections.newSetFromMap(new IdentityHashMap<>());

  private Verifier(Graph graph) { this.graph = graph; }

  /**
   * @param g the graph to check (not null)
   * @throws VerifyException listing every problem, if there is any
   */
  public static void verify(Graph g) {
    List<String> p = check(g);
    if (!p.isEmpty()) throw new VerifyException(g.name(), p);
  }

  /**
   * @param g the graph to check (not null)
   * @return every problem found, in program order; empty when the graph is valid (never null)
   */
  public static List<String> check(Graph g) {
    Verifier v = new Verifier(g);
    v.index(g.body());
    v.walk(g.body(), Collections.newSetFromMap(new IdentityHashMap<>()), "return");
    v.checkUseLists();
    return List.copyOf(v.problems);
  }

  private void index(Block b) {
    defined.addAll(b.args());
    for (Node n : b.nodes()) {
      nodes.add(n);
      defined.addAll(n.results());
      for (Block inner : n.blocks()) index(inner);
    }
  }

  // ---- structure: scopes, terminators

  /**
   * Checks {@code b} with {@code visible} holding what enclosing blocks define before it; adds what {@code b}
   * defines while walking it and removes it again at the end, so the set works as a scope stack.
   */
  private void walk(Block b, Set<Value> visible, String terminator) {
    for (Value a : b.args()) {
      visible.add(a);
      String bad = TypeChecks.malformed(a.type());
      if (bad != null) problems.add(argument(a) + " has a malformed type " + a.type().text() + ": " + bad);
    }
    List<Node> list = b.nodes();
    if (list.isEmpty()) problems.add(where(b) + " is empty; it must end with " + terminator);
    for (int i = 0; i < list.size(); i++) {
      Node n = list.get(i);
      boolean last = i == list.size() - 1;
      checkOperandsVisible(n, visible);
      checkNode(n);
      if (n.op().hasTrait(OpDef.Trait.TERMINATOR) && !last)
        problems.add(at(n) + ": terminator in the middle of " + where(b) + " (" + (list.size() - 1 - i) + " nodes follow)");
      if (last && !n.op().name().equals(terminator))
        problems.add(where(b) + " must end with " + terminator + ", but ends with " + at(n));
      for (Block inner : n.blocks()) walk(inner, visible, "yield");
      visible.addAll(n.results());
    }
    // Leaving the block: what it defined is not visible to the nodes after its parent.
    b.args().forEach(visible::remove);
    for (Node n : list) n.results().forEach(visible::remove);
  }

  private void checkOperandsVisible(Node n, Set<Value> visible) {
    for (int i = 0; i < n.numOperands(); i++) {
      Value v = n.operand(i);
      if (visible.contains(v)) continue;
      String what = "operand " + i + " (" + name(v) + ")";
      if (!defined.contains(v)) problems.add(at(n) + ": " + what + " is not defined in this graph");
      else if (encloses(definingBlock(v), n.block())) problems.add(at(n) + ": " + what + " is used before its definition");
      else problems.add(at(n) + ": " + what + " is defined inside " + where(definingBlock(v)) + " and is not visible here");
    }
  }

  private static Block definingBlock(Value v) { return v.definingNode() != null ? v.definingNode().block() : v.definingBlock(); }

  /** True when {@code outer} is {@code inner} or a block around it. */
  private static boolean encloses(Block outer, Block inner) {
    for (Block b = inner; b != null; b = b.parent() == null ? null : b.parent().block()) if (b == outer) return true;
    return false;
  }

  // ---- one node

  private void checkNode(Node n) {
    OpDef op = n.op();
    for (Value r : n.results()) {
      String bad = TypeChecks.malformed(r.type());
      if (bad != null) problems.add(at(n) + ": result " + name(r) + " has a malformed type " + r.type().text() + ": " + bad);
    }
    if (n.blocks().size() != op.numBlocks())
      problems.add(at(n) + ": has " + n.blocks().size() + " blocks, " + op.name() + " takes " + op.numBlocks());
    boolean schemaOk = true;
    try {
      op.checkSchema(n.numOperands(), n.attrs());
    } catch (TypeError e) {
      problems.add(at(n) + ": " + strip(op, e.getMessage()));
      schemaOk = false;
    }
    if (schemaOk && op.hasTypeRule()) checkInferred(n);
    if (op == ControlOps.CONST) checkConst(n);
    else if (op == ControlOps.IF && n.blocks().size() == 2) checkIf(n);
    else if (op == ControlOps.LOOP && n.blocks().size() == 1 && schemaOk) checkLoop(n);
    else if (op == FusedOps.FUSED && n.blocks().size() == 1) checkFused(n);
  }

  private void checkInferred(Node n) {
    List<Type> inferred;
    try {
      inferred = n.op().inferTypes(n.operands().stream().map(Value::type).toList(), n.attrs());
    } catch (TypeError e) {
      problems.add(at(n) + ": " + strip(n.op(), e.getMessage()));
      return;
    } catch (RuntimeException e) {
      // A rule that throws anything but TypeError has a bug; still report it against the node.
      problems.add(at(n) + ": type rule failed: " + e);
      return;
    }
    if (inferred.size() != n.results().size()) {
      problems.add(at(n) + ": has " + n.results().size() + " results, but its type rule gives " + inferred.size()
          + " " + texts(inferred));
      return;
    }
    for (int i = 0; i < inferred.size(); i++) {
      Type w = n.result(i).type();
      if (!TypeChecks.compatible(w, inferred.get(i)))
        problems.add(at(n) + ": result " + i + " is written " + w.text() + " but inferred " + inferred.get(i).text());
    }
  }

  private void checkIf(Node n) {
    if (n.numOperands() == 1 && n.operand(0).type() != PrimType.BOOL)
      problems.add(at(n) + ": condition " + name(n.operand(0)) + " is " + n.operand(0).type().text() + ", expected bool");
    for (int k = 0; k < 2; k++) {
      Block b = n.block(k);
      if (!b.args().isEmpty()) problems.add(where(b) + " has " + b.args().size() + " arguments; the blocks of if take none");
      checkYield(n, b, 0, n.results().stream().map(Value::type).toList());
    }
  }

  private void checkLoop(Node n) {
    Block body = n.block(0);
    List<Type> carried = n.results().stream().map(Value::type).toList();
    List<Value> args = body.args();
    if (args.size() != carried.size() + 1) {
      problems.add(where(body) + " has " + args.size() + " arguments, expected " + (carried.size() + 1)
          + " (the iteration number, then one per carried value)");
    } else {
      if (args.get(0).type() != PrimType.INT)
        problems.add(where(body) + ": argument " + name(args.get(0)) + " is " + args.get(0).type().text() + ", expected int (the iteration number)");
      for (int i = 0; i < carried.size(); i++)
        if (!TypeChecks.compatible(carried.get(i), args.get(i + 1).type()))
          problems.add(where(body) + ": argument " + name(args.get(i + 1)) + " is " + args.get(i + 1).type().text()
              + " but carries result " + i + " of type " + carried.get(i).text());
    }
    Node y = checkYield(n, body, 1, carried);
    if (y != null && y.numOperands() > 0 && y.operand(0).type() != PrimType.BOOL)
      problems.add(at(y) + ": operand 0 (" + name(y.operand(0)) + ") is " + y.operand(0).type().text() + ", expected bool (the next condition)");
  }

  /** Checks that {@code b}'s yield passes {@code skip} leading values and then values of the {@code want} types. */
  private Node checkYield(Node owner, Block b, int skip, List<Type> want) {
    Node y = b.terminator();
    if (y == null || y.op() != ControlOps.YIELD) return null; // reported by walk
    if (y.numOperands() != skip + want.size()) {
      problems.add(at(y) + ": yields " + y.numOperands() + " values, expected " + (skip + want.size())
          + (skip > 0 ? " (the condition, then " + want.size() + " carried values of " + owner.describe() + ")" : " (one per result of " + owner.describe() + ")"));
      return y;
    }
    for (int i = 0; i < want.size(); i++) {
      Type got = y.operand(skip + i).type();
      if (!TypeChecks.compatible(got, want.get(i)))
        problems.add(at(y) + ": operand " + (skip + i) + " (" + name(y.operand(skip + i)) + ") is " + got.text()
            + ", but result " + i + " of " + owner.describe() + " is " + want.get(i).text());
    }
    return y;
  }

  // ---- fused groups (added with the fuse pass)

  /**
   * A {@code fused} node's block mirrors its operands as arguments, yields its results, and is isolated: nodes in
   * it use only the block's arguments and values defined inside it, so the group can become one kernel.
   */
  private void checkFused(Node n) {
    Block body = n.block(0);
    List<Value> args = body.args();
    if (args.size() != n.numOperands()) {
      problems.add(where(body) + " has " + args.size() + " arguments, expected " + n.numOperands() + " (one per operand)");
    } else {
      for (int i = 0; i < args.size(); i++)
        if (!args.get(i).type().equals(n.operand(i).type()))
          problems.add(where(body) + ": argument " + name(args.get(i)) + " is " + args.get(i).type().text() + " but operand " + i
              + " (" + name(n.operand(i)) + ") is " + n.operand(i).type().text());
    }
    checkYield(n, body, 0, n.results().stream().map(Value::type).toList());
    checkIsolated(n, body);
  }

  private void checkIsolated(Node fused, Block b) {
    for (Node m : b.nodes()) {
      for (int i = 0; i < m.numOperands(); i++) {
        Value v = m.operand(i);
        if (defined.contains(v) && !encloses(fused.block(0), definingBlock(v)))
          problems.add(at(m) + ": operand " + i + " (" + name(v) + ") is defined outside " + where(fused.block(0))
              + "; a fused block sees only its arguments");
      }
      for (Block inner : m.blocks()) checkIsolated(fused, inner);
    }
  }

  private void checkConst(Node n) {
    boolean hasName = n.hasAttr("name"), hasValue = n.hasAttr("value");
    if (hasName == hasValue) {
      problems.add(at(n) + ": needs exactly one of 'name' (a weight) and 'value' (a literal)" + (hasName ? ", has both" : ", has neither"));
      return;
    }
    if (n.results().size() != 1) {
      problems.add(at(n) + ": has " + n.results().size() + " results, a const has exactly 1");
      return;
    }
    if (hasName) {
      if (!(n.attrs().get("name") instanceof Attr.Str s) || s.value().isEmpty())
        problems.add(at(n) + ": name must be a non-empty string, got " + n.attrs().get("name").text());
      return;
    }
    String bad = TypeChecks.literalProblem(n.attrs().get("value"), n.result().type());
    if (bad != null) problems.add(at(n) + ": value " + abbreviate(n.attrs().get("value").text()) + " does not fit " + n.result().type().text() + ": " + bad);
  }

  // ---- use lists

  private void checkUseLists() {
    for (Node n : nodes)
      for (int i = 0; i < n.numOperands(); i++) {
        Value v = n.operand(i);
        int count = 0;
        for (Value.Use u : v.uses()) if (u.user() == n && u.index() == i) count++;
        if (count != 1) problems.add(at(n) + ": operand " + i + " (" + name(v) + ") is recorded " + count + " times in its use list, expected once");
      }
    List<String> found = new ArrayList<>();
    for (Value v : defined)
      for (Value.Use u : v.uses()) {
        Node user = u.user();
        if (!nodes.contains(user)) found.add(owner(v) + " is used by " + user.describe() + ", which is not in the graph");
        else if (u.index() >= user.numOperands() || user.operand(u.index()) != v)
          found.add(owner(v) + " lists a use as operand " + u.index() + " of " + at(user) + ", which is not that value");
      }
    Collections.sort(found); // the defined set has no order; sorting keeps messages stable
    problems.addAll(found);
  }

  // ---- naming in messages

  /** The node as {@link Node#describe()} prints it, plus its position when its name alone cannot find it. */
  private String at(Node n) {
    boolean named = !n.results().isEmpty() && n.result(0).name() != null;
    if (named || n.block() == null) return n.describe();
    return n.describe() + " (node " + n.block().nodes().indexOf(n) + " of " + where(n.block()) + ")";
  }

  private String where(Block b) {
    if (b == null) return "a detached block";
    if (b.parent() == null) return "the body of graph @" + graph.name();
    return "block " + b.parent().blocks().indexOf(b) + " of " + at(b.parent());
  }

  private String owner(Value v) { return v.definingNode() != null ? at(v.definingNode()) + ": result " + name(v) : argument(v); }

  /** A block argument: {@code parameter %x} for the graph body, else {@code block 0 of %r = loop: argument %i}. */
  private String argument(Value a) {
    Block b = a.definingBlock();
    return b != null && b.parent() == null ? "parameter " + name(a) : where(b) + ": argument " + name(a);
  }

  private String name(Value v) {
    if (v.name() != null) return "%" + v.name();
    if (v.definingNode() != null) return "result " + v.index() + " of " + v.definingNode().describe();
    return "argument " + v.index() + (v.definingBlock() != null && v.definingBlock().parent() != null ? " of a nested block" : " of the graph");
  }

  /** Drops the op name a {@link TypeError} starts with, since the node description already names it. */
  private static String strip(OpDef op, String message) {
    if (message.startsWith(op.name() + ": ")) return message.substring(op.name().length() + 2);
    if (message.startsWith(op.name() + " ")) return message.substring(op.name().length() + 1);
    return message;
  }

  private static String texts(List<Type> ts) { return ts.stream().map(Type::text).toList().toString(); }

  private static String abbreviate(String s) { return s.length() <= 60 ? s : s.substring(0, 57) + "..."; }

  /** Type compatibility, well-formedness and literal fit; pure functions of types and attributes. */
  static final class TypeChecks {
    private TypeChecks() {}

    /**
     * True when a written type agrees with an inferred (or expected) one: same kind, same dtype, same rank and
     * equal dims, where a written dim may refine an inferred {@code ?} and an unranked inferred shape accepts any
     * shape. Layout and quantization parameters are not compared: rules do not compute them.
     */
    static boolean compatible(Type written, Type inferred) {
      return switch (inferred) {
        case TensorType i -> written instanceof TensorType w && w.dtype() == i.dtype() && shapeFits(w.shape(), i.shape());
        case PrimType p -> written == p;
        case ListType l -> written instanceof ListType w && compatible(w.element(), l.element());
        case OptionalType o -> written instanceof OptionalType w && compatible(w.element(), o.element());
        case TupleType t -> {
          if (!(written instanceof TupleType w) || w.elements().size() != t.elements().size()) yield false;
          for (int k = 0; k < t.elements().size(); k++) if (!compatible(w.elements().get(k), t.elements().get(k))) yield false;
          yield true;
        }
      };
    }

    private static boolean shapeFits(Shape written, Shape inferred) {
      if (!inferred.isRanked()) return true;
      if (!written.isRanked() || written.rank() != inferred.rank()) return false;
      for (int k = 0; k < inferred.rank(); k++)
        if (!inferred.dim(k).isUnknown() && !written.dim(k).equals(inferred.dim(k))) return false;
      return true;
    }

    /** Why {@code t} is malformed, or null when it is well formed. */
    static String malformed(Type t) {
      return switch (t) {
        case null -> "missing type";
        case PrimType p -> null;
        case ListType l -> l.element() == null ? "list without an element type" : malformed(l.element());
        case OptionalType o -> o.element() == null ? "optional without an element type" : malformed(o.element());
        case TupleType tu -> {
          for (Type e : tu.elements()) {
            String bad = malformed(e);
            if (bad != null) yield bad;
          }
          yield null;
        }
        case TensorType tt -> malformedTensor(tt);
      };
    }

    private static String malformedTensor(TensorType t) {
      Shape s = t.shape();
      if (s.isRanked())
        for (Dim d : s.dims()) {
          if (d.isSymbolic() && d.size() != -1) return "dim " + d.symbol() + " has both a symbol and a size " + d.size();
          if (d.isSymbolic() && !d.symbol().matches("[A-Za-z_][A-Za-z0-9_.]*")) return "dim symbol '" + d.symbol() + "' is not a name";
        }
      if (t.layout() == Layout.NHWC && (!s.isRanked() || s.rank() != 4)) return "nhwc layout needs a 4-D shape";
      Quant q = t.quant();
      if (q == null) return null;
      for (double sc : q.scales()) if (!(sc > 0) || Double.isInfinite(sc)) return "quantization scale " + sc + " is not a positive finite number";
      long lo = t.dtype() == DType.QI8 ? -128 : t.dtype() == DType.QU8 ? 0 : Integer.MIN_VALUE;
      long hi = t.dtype() == DType.QI8 ? 127 : t.dtype() == DType.QU8 ? 255 : Integer.MAX_VALUE;
      for (long z : q.zeroPoints()) if (z < lo || z > hi) return "zero point " + z + " is outside " + t.dtype() + " [" + lo + "," + hi + "]";
      if (q.perChannel()) {
        if (!s.isRanked() || q.axis() >= s.rank()) return "quantization axis " + q.axis() + " is out of range for " + s;
        Dim d = s.dim(q.axis());
        if (d.isStatic() && d.size() != q.scales().size())
          return q.scales().size() + " channel scales for dim " + q.axis() + " of size " + d.size();
      }
      return null;
    }

    /** Why literal {@code v} cannot be a value of type {@code t}, or null when it fits. */
    static String literalProblem(Attr v, Type t) {
      return switch (t) {
        case PrimType p -> switch (p) {
          case INT -> v instanceof Attr.Int ? null : "expected an integer";
          case FLOAT -> v instanceof Attr.Float || v instanceof Attr.Int ? null : "expected a number";
          case BOOL -> v instanceof Attr.Bool ? null : "expected true or false";
          case STR -> v instanceof Attr.Str ? null : "expected a string";
          case NONE -> v instanceof Attr.None ? null : "expected none";
        };
        case ListType l -> {
          if (!(v instanceof Attr.Ints || v instanceof Attr.Floats)) yield "expected a list";
          if (l.element() == PrimType.INT && v instanceof Attr.Floats f && !f.values().isEmpty()) yield "expected integer elements";
          yield null;
        }
        case OptionalType o -> v instanceof Attr.None ? null : literalProblem(v, o.element());
        case TupleType tu -> "tuples have no literal form; build them with prim.tuple";
        case TensorType tt -> tensorLiteralProblem(v, tt);
      };
    }

    private static String tensorLiteralProblem(Attr v, TensorType t) {
      boolean integral = !t.dtype().isFloat();
      boolean number = v instanceof Attr.Int || v instanceof Attr.Float || v instanceof Attr.Bool;
      if (t.shape().isRanked() && t.rank() == 0 && number)
        return integral && v instanceof Attr.Float ? "expected an integer for " + t.dtype() : null;
      if (!t.shape().isStatic()) return "a literal tensor needs a static shape";
      long numel = t.shape().numel();
      int size;
      if (v instanceof Attr.Ints l) size = l.values().size();
      else if (v instanceof Attr.Floats f) {
        if (integral && !f.values().isEmpty()) return "expected integer elements for " + t.dtype();
        size = f.values().size();
      } else return "expected a flat list of " + numel + " elements";
      return size == numel ? null : "expected " + numel + " elements, got " + size;
    }
  }
}
