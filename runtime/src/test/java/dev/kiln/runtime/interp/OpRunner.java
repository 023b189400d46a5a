package dev.kiln.runtime.interp;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helper: wraps one op in a graph whose parameters fit the given inputs, infers types, and runs it. */
final class OpRunner {
  private OpRunner() {}

  static Type typeOf(Object v) {
    return switch (v) {
      case Tensor t -> Type.tensor(t.dtype(), Shape.of(t.shape()));
      case Long l -> PrimType.INT;
      case Double d -> PrimType.FLOAT;
      case Boolean b -> PrimType.BOOL;
      case String s -> PrimType.STR;
      case List<?> l -> new ListType(l.isEmpty() ? PrimType.INT : typeOf(l.get(0)));
      default -> throw new IllegalArgumentException("no type for " + v);
    };
  }

  static List<Object> run(OpDef op, Map<String, Attr> attrs, Object... inputs) {
    Graph g = new Graph("t");
    List<Value> params = new ArrayList<>();
    for (int i = 0; i < inputs.length; i++) params.add(g.addParam(typeOf(inputs[i]), "in" + i));
    Builder b = Builder.atEnd(g.body());
    Node n = b.create(op, params, attrs);
    b.ret(n.results().toArray(new Value[0]));
    return new Interpreter(g, Map.of()).run(List.of(inputs));
  }

  /** Like {@link #run} for one tensor result, with unranked parameter and result types (no static checks). */
  static Tensor runUnranked(OpDef op, Map<String, Attr> attrs, Tensor... inputs) {
    Graph g = new Graph("t");
    List<Value> params = new ArrayList<>();
    for (int i = 0; i < inputs.length; i++) params.add(g.addParam(Type.tensor(inputs[i].dtype(), Shape.UNRANKED), "in" + i));
    Node n = Node.create(op, params, attrs, List.of(Type.tensor(inputs[0].dtype(), Shape.UNRANKED)), 0);
    g.body().append(n);
    Builder.atEnd(g.body()).ret(n.result());
    return (Tensor) new Interpreter(g, Map.of()).run(List.of((Object[]) inputs)).get(0);
  }

  static Tensor run1(OpDef op, Map<String, Attr> attrs, Object... inputs) { return (Tensor) run(op, attrs, inputs).get(0); }

  static Tensor f(float[] v, long... shape) { return Tensor.fromFloats(v, shape); }

  static float[] fl(double... v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return f;
  }
}
