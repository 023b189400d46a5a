package dev.kiln.passes.lower;

import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.Expr;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.Stmt;
import dev.kiln.ir.ops.ControlOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Elementwise ops and fused elementwise bodies become one loop nest over the output: each operand is read through
 * its view broadcast to the output shape (stride 0 along broadcast dims), each op becomes a scalar expression
 * ({@link ScalarOps}) and each result one store. When every operand has the output's own layout the nest collapses
 * to one flat loop {@code for %i in 0..numel}.
 */
final class ElementwiseLowering {
  private ElementwiseLowering() {}

  /** One elementwise node. */
  static void node(LowerContext c, Node n) {
    Map<Value, Object> in = new LinkedHashMap<>();
    for (Value v : n.operands()) in.put(v, input(c, v));
    body(c, n.describe(), n.op().name(), in, List.of(n), List.of(n.result()), List.of(n.result()));
  }

  /**
   * A loop computing {@code nodes} per element.
   *
   * @param inputs what each value read by {@code nodes} but not defined there is: a {@link View} or an {@link Expr} constant
   * @param inner the values to store, one per entry of {@code outer}
   * @param outer the graph values receiving them (defined here unless already bound, as an epilogue's output is)
   */
  static void body(LowerContext c, String origin, String hint, Map<Value, Object> inputs, List<Node> nodes, List<Value> inner, List<Value> outer) {
    c.emit(origin, hint, loop(c, inputs, nodes, inner, outer));
  }

  /** The statements of {@link #body} without emitting them (an epilogue appends them to its primitive call). */
  static List<Stmt> loop(LowerContext c, Map<Value, Object> allInputs, List<Node> nodes, List<Value> inner, List<Value> outer) {
    // only what the body reads (an epilogue's map also holds the anchor's operands, which need not broadcast)
    java.util.Set<Value> used = java.util.Collections.newSetFromMap(new LinkedHashMap<>());
    for (Node n : nodes) used.addAll(n.operands());
    used.addAll(inner);
    Map<Value, Object> inputs = new java.util.LinkedHashMap<>();
    for (Map.Entry<Value, Object> e : allInputs.entrySet()) if (used.contains(e.getKey())) inputs.put(e.getKey(), e.getValue());
    List<View> outs = new ArrayList<>();
    for (Value o : outer) outs.add(c.hasView(o) ? c.view(o) : c.define(o));
    long[] shape = outs.get(0).shape();
    for (View o : outs) if (!Arrays.equals(o.shape(), shape) || !o.sameLayout(outs.get(0))) throw new Unsupported("fused outputs of different shapes");
    Map<Value, View> views = new LinkedHashMap<>();
    boolean flat = true;
    for (Map.Entry<Value, Object> e : inputs.entrySet())
      if (e.getValue() instanceof View v) {
        View b = v.broadcastTo(shape);
        views.put(e.getKey(), b);
        flat &= b.sameLayout(outs.get(0));
      }
    View out0 = outs.get(0);
    boolean nhwc = out0.rank() == 4 && out0.strides()[1] == 1 && out0.shape()[1] != 1 && out0.strides()[3] != 1;
    List<Stmt> loop;
    if (flat) {
      String i = c.freshVar("i");
      Expr iv = new Expr.Var(i, KType.INT);
      List<Stmt> stmts = element(c, inputs, views, nodes, inner, outs, idx -> iv, null);
      loop = List.of(new Stmt.For(i, (int) out0.numel(), stmts));
    } else {
      loop = c.nest(shape, LowerContext.order(shape.length, nhwc), idx -> element(c, inputs, views, nodes, inner, outs, null, idx));
    }
    return loop;
  }

  private static List<Stmt> element(LowerContext c, Map<Value, Object> inputs, Map<Value, View> views, List<Node> nodes,
      List<Value> inner, List<View> outs, java.util.function.Function<View, Expr> flatIndex, Expr[] idx) {
    List<Stmt> s = new ArrayList<>();
    ScalarOps ops = new ScalarOps(c, s);
    Map<Value, Expr> val = new LinkedHashMap<>();
    for (Map.Entry<Value, Object> e : inputs.entrySet()) {
      if (e.getValue() instanceof Expr k) val.put(e.getKey(), k);
      else {
        View v = views.get(e.getKey());
        Expr index = flatIndex != null ? flatIndex.apply(v) : v.index(idx);
        val.put(e.getKey(), ops.let(new Expr.Load(v.buffer(), v.type(), index)));
      }
    }
    for (Node n : nodes) {
      if (n.op() == ControlOps.CONST) {
        Expr k = LowerContext.literalScalar(n.result(), elementType(n.result()));
        if (k == null) throw new Unsupported("non-scalar literal in an elementwise body");
        val.put(n.result(), k);
        continue;
      }
      if (n.op() == ControlOps.YIELD) continue;
      List<Expr> args = new ArrayList<>();
      for (Value v : n.operands()) {
        Expr a = val.get(v);
        if (a == null) throw new Unsupported("operand %" + v.displayName() + " of " + n.describe() + " is not available per element");
        args.add(a);
      }
      val.put(n.result(), ops.let(ops.apply(n, args, elementType(n.result()))));
    }
    for (int k = 0; k < inner.size(); k++) {
      View o = outs.get(k);
      Expr index = flatIndex != null ? flatIndex.apply(o) : o.index(idx);
      s.add(new Stmt.Store(o.buffer(), index, Expr.cast(o.type(), val.get(inner.get(k)))));
    }
    return s;
  }

  /** A graph value as an elementwise input: a compile-time number, or the view of its buffer. */
  static Object input(LowerContext c, Value v) {
    Expr k = LowerContext.literalScalar(v, elementType(v));
    return k != null ? k : c.view(v);
  }

  /** The Kernel IR type of one element of {@code v}. */
  static KType elementType(Value v) {
    if (v.type() == PrimType.INT) return KType.I64;
    if (v.type() == PrimType.FLOAT) return KType.F32;
    if (v.type() == PrimType.BOOL) return KType.BOOL;
    if (v.type() instanceof TensorType t) {
      KType k = KType.of(t.dtype());
      if (k != null) return k;
    }
    throw new Unsupported("%" + v.displayName() + " of type " + v.type().text() + " has no element type");
  }
}
