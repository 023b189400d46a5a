package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.DType;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import dev.kiln.runtime.interp.KernelTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates a node whose operands are all known constants with the runtime's reference kernels, and turns the
 * results back into literal attributes. The node is copied, with the constants it reads, into a one-node graph run
 * by the {@link Interpreter}; so folding computes exactly what running the graph would.
 */
public final class ConstantFolder {
  private ConstantFolder() {}

  /** Folded tensors larger than this stay computed at run time: literals are for small values. */
  public static final long MAX_ELEMENTS = 4096;

  /**
   * True when {@code n} is pure, has a reference kernel, reads only known constants, and every result has a literal
   * form of at most {@link #MAX_ELEMENTS} elements.
   */
  public static boolean foldable(Node n, Map<String, Tensor> weights) {
    OpDef op = n.op();
    if (op == ControlOps.CONST || !op.hasTrait(OpDef.Trait.PURE) || !n.blocks().isEmpty() || n.results().isEmpty()) return false;
    if (KernelTable.find(op.name()) == null) return false;
    for (Value v : n.operands()) if (!Consts.isKnown(v, weights)) return false;
    for (Value r : n.results()) if (!hasSmallLiteral(r.type())) return false;
    return true;
  }

  private static boolean hasSmallLiteral(Type t) {
    return switch (t) {
      case TensorType tt -> !tt.dtype().isQuantized() && tt.shape().isStatic() && tt.shape().numel() <= MAX_ELEMENTS;
      case PrimType p -> true;
      case ListType l -> l.element() == PrimType.INT || l.element() == PrimType.FLOAT;
      case OptionalType o -> hasSmallLiteral(o.element());
      default -> false;
    };
  }

  /**
   * Runs {@code n} on its constant operands.
   *
   * @return one value per result, or null when the kernel fails (the node is then left for run time, where the
   *     same failure will be reported with its inputs)
   */
  public static List<Object> evaluate(Node n, Map<String, Tensor> weights) {
    Graph g = new Graph("fold");
    Map<Value, Value> copies = new LinkedHashMap<>();
    Map<String, Tensor> used = new HashMap<>();
    for (Value v : n.operands()) {
      if (copies.containsKey(v)) continue;
      Node c = Consts.constNode(v);
      if (c == null) return null;
      Node copy = Node.create(ControlOps.CONST, List.of(), c.attrs(), List.of(v.type()), 0);
      g.body().append(copy);
      copies.put(v, copy.result());
      String w = Consts.weightName(v);
      if (w != null) used.put(w, weights.get(w));
    }
    List<Value> ops = new ArrayList<>();
    for (Value v : n.operands()) ops.add(copies.get(v));
    Node copy = Node.create(n.op(), ops, n.attrs(), n.results().stream().map(Value::type).toList(), 0);
    g.body().append(copy);
    g.body().append(Node.create(ControlOps.RETURN, copy.results(), Map.of(), List.of(), 0));
    try {
      return new Interpreter(g, used).run(List.of());
    } catch (KilnRuntimeException | IllegalArgumentException e) {
      return null;
    }
  }

  /** The literal attribute holding run-time value {@code v} of type {@code t}, or null if it has none. */
  public static Attr toAttr(Object v, Type t) {
    if (t instanceof OptionalType o) return v == null ? new Attr.None() : toAttr(v, o.element());
    return switch (v) {
      case null -> t == PrimType.NONE ? new Attr.None() : null;
      case Long l when t == PrimType.INT -> Attr.of(l);
      case Double d when t == PrimType.FLOAT -> Attr.of(d);
      case Boolean b when t == PrimType.BOOL -> Attr.of(b);
      case String s when t == PrimType.STR -> Attr.of(s);
      case Tensor x when t instanceof TensorType tt -> tensorAttr(x, tt);
      case List<?> l when t instanceof ListType lt -> listAttr(l, lt);
      default -> null;
    };
  }

  private static Attr listAttr(List<?> l, ListType t) {
    if (t.element() == PrimType.INT) {
      long[] out = new long[l.size()];
      for (int i = 0; i < out.length; i++) {
        if (!(l.get(i) instanceof Long x)) return null;
        out[i] = x;
      }
      return Attr.ints(out);
    }
    if (t.element() == PrimType.FLOAT) {
      double[] out = new double[l.size()];
      for (int i = 0; i < out.length; i++) {
        if (!(l.get(i) instanceof Double x)) return null;
        out[i] = x;
      }
      return Attr.floats(out);
    }
    return null;
  }

  private static Attr tensorAttr(Tensor x, TensorType t) {
    if (x.dtype() != t.dtype() || t.dtype().isQuantized()) return null;
    boolean scalar = t.shape().isRanked() && t.rank() == 0;
    if (t.dtype().isFloat()) {
      double[] d = x.toDoubleArray();
      if (t.dtype() != DType.F64) for (int i = 0; i < d.length; i++) d[i] = shortFloat(d[i]);
      return scalar ? Attr.of(d[0]) : Attr.floats(d);
    }
    long[] l = x.toLongArray();
    if (scalar) return t.dtype() == DType.BOOL ? Attr.of(l[0] != 0) : Attr.of(l[0]);
    return Attr.ints(l);
  }

  /**
   * The double with the shortest text that still narrows to the same float: f32 values print as {@code 0.1}, not
   * {@code 0.10000000149011612}, and read back to the same bits.
   */
  static double shortFloat(double d) {
    float f = (float) d;
    if (Float.isNaN(f) || Float.isInfinite(f)) return d;
    double s = Double.parseDouble(Float.toString(f));
    return (float) s == f ? s : d;
  }
}
