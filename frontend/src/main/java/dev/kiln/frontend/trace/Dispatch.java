package dev.kiln.frontend.trace;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Value;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one path every op takes: run it eagerly as a one-node graph through the reference {@link Interpreter} (so
 * eager results are the runtime's kernels, with their type checks), then, while tracing, append the same node to
 * the traced graph.
 */
final class Dispatch {
  private Dispatch() {}

  /**
   * Runs {@code op}; operands are {@link T}, Double, Long or Boolean. Every result of the op must be a tensor.
   *
   * @throws TraceException naming the op, the user's file:line and what was wrong
   */
  static List<T> call(OpDef op, Map<String, Attr> attrs, Object... operands) {
    List<Object> eager;
    List<Value> traced = null;
    TraceSession s = TraceSession.current();
    try {
      eager = eager(op, attrs, operands);
      if (s != null) traced = s.record(op, attrs, operands, eager);
    } catch (IrException | KilnRuntimeException | IllegalArgumentException e) {
      // The eager graph's node has no name worth showing: drop its "%<unnamed> = nn.op: " prefix.
      String m = String.valueOf(e.getMessage()).replaceFirst("^%<unnamed> = [\\w.]+: ", "");
      throw new TraceException(op.name() + " at " + CallSite.find().where() + ": " + m, e);
    }
    List<T> out = new ArrayList<>(eager.size());
    for (int i = 0; i < eager.size(); i++) {
      if (!(eager.get(i) instanceof Tensor t)) throw new IllegalStateException(op.name() + " result " + i + " is not a tensor");
      out.add(new T(t, traced != null ? traced.get(i) : null, s));
    }
    return out;
  }

  static T call1(OpDef op, Map<String, Attr> attrs, Object... operands) { return call(op, attrs, operands).get(0); }

  private static List<Object> eager(OpDef op, Map<String, Attr> attrs, Object[] operands) {
    Graph g = new Graph("eager");
    List<Value> params = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (Object o : operands) {
      switch (o) {
        case T t -> { params.add(g.addParam(TraceSession.concrete(t.tensor), null)); values.add(t.tensor); }
        case Double d -> { params.add(g.addParam(PrimType.FLOAT, null)); values.add(d); }
        case Long l -> { params.add(g.addParam(PrimType.INT, null)); values.add(l); }
        case Boolean b -> { params.add(g.addParam(PrimType.BOOL, null)); values.add(b); }
        default -> throw new IllegalArgumentException("operand " + o + " is not a tensor, float, int or bool");
      }
    }
    Builder b = Builder.atEnd(g.body());
    Node n = b.create(op, params, attrs);
    b.ret(n.results().toArray(Value[]::new));
    return new Interpreter(g, Map.of()).run(values);
  }
}
