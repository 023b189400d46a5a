package dev.kiln.frontend.trace;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.IrException;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recording side of one {@link Tracer#trace} call, active on the tracing thread only: appends a node to the
 * graph for every op the eager code runs, names weights, and turns value reads into guards.
 */
final class TraceSession {
  private static final ThreadLocal<TraceSession> CURRENT = new ThreadLocal<>();
  private static final System.Logger LOG = System.getLogger("dev.kiln.frontend.trace");

  private final Graph graph;
  private final Builder b;
  private final TraceOptions options;
  private final Map<Parameter, String> names;
  private final Map<Parameter, T> params = new IdentityHashMap<>();
  private final Map<Tensor, Value> captured = new IdentityHashMap<>();
  private final Map<String, Tensor> weights = new LinkedHashMap<>();
  private final List<Guard> guards = new ArrayList<>();

  TraceSession(Graph graph, TraceOptions options, Map<Parameter, String> names) {
    this.graph = graph;
    this.b = Builder.atEnd(graph.body());
    this.options = options;
    this.names = names;
  }

  /** The session tracing on this thread, or null. */
  static TraceSession current() { return CURRENT.get(); }

  void begin() {
    if (CURRENT.get() != null) throw new IllegalStateException("a trace is already running on this thread");
    CURRENT.set(this);
  }

  void end() { CURRENT.remove(); }

  Graph graph() { return graph; }

  Builder builder() { return b; }

  Map<String, Tensor> weights() { return weights; }

  List<Guard> guards() { return guards; }

  /** An input of the graph: a parameter typed from the example, with the symbolic dims the options declare. */
  T input(int index, Tensor example, String name) {
    long[] s = example.shape();
    List<Dim> dims = new ArrayList<>();
    for (int d = 0; d < s.length; d++) {
      String sym = options.symbol(index, d);
      dims.add(sym != null ? Dim.sym(sym) : Dim.of(s[d]));
    }
    return new T(example, graph.addParam(Type.tensor(example.dtype(), Shape.of(dims)), name), this);
  }

  /** A module parameter as a named weight; one const node per parameter and trace. */
  T parameter(Parameter p) {
    return params.computeIfAbsent(p, k -> {
      String name = names.getOrDefault(k, "_param." + params.size());
      weights.put(name, k.value());
      return new T(k.value(), b.weight(name, concrete(k.value())), this);
    });
  }

  /** The graph value for an operand: a traced tensor, a captured constant tensor, or a number literal. */
  Value valueOf(Object operand) {
    return switch (operand) {
      case T t when t.session == this -> t.value;
      case T t -> captured.computeIfAbsent(t.tensor, k -> {
        String name = "_const." + captured.size();
        weights.put(name, k);
        return b.weight(name, concrete(k));
      });
      case Double d -> b.literal(Attr.of(d), PrimType.FLOAT);
      case Long l -> b.literal(Attr.of(l), PrimType.INT);
      case Boolean x -> b.literal(Attr.of(x), PrimType.BOOL);
      default -> throw new IllegalArgumentException("cannot trace operand " + operand);
    };
  }

  /**
   * Records {@code op} on the operands' values and checks the inferred types against what the eager run gave.
   *
   * @return one graph value per result
   */
  List<Value> record(OpDef op, Map<String, Attr> attrs, Object[] operands, List<Object> eager) {
    List<Value> vs = new ArrayList<>();
    for (Object o : operands) vs.add(valueOf(o));
    Node n = b.create(op, vs, attrs);
    for (int i = 0; i < n.results().size(); i++) {
      Type t = n.result(i).type();
      if (eager.get(i) instanceof Tensor e && t instanceof TensorType tt && !fits(tt, e))
        throw new IrException(n.describe() + ": traced type " + tt.text() + " does not fit the eager result "
            + e.dtype() + Tensor.dims(e.shape()));
    }
    return n.results();
  }

  private static boolean fits(TensorType tt, Tensor e) {
    if (tt.dtype() != e.dtype()) return false;
    if (!tt.shape().isRanked()) return true;
    if (tt.rank() != e.rank()) return false;
    for (int i = 0; i < tt.rank(); i++) if (tt.shape().dim(i).isStatic() && tt.shape().dim(i).size() != e.size(i)) return false;
    return true;
  }

  /**
   * Records a guard: the scalar {@code observed} (an int, float or bool graph value) must equal what the traced run
   * saw, else the graph's assert fails with the guard's message. In strict mode throws instead.
   */
  void guard(String kind, String detail, Value observed, Attr expected) {
    CallSite.Site s = CallSite.find();
    Guard g = new Guard(s.file(), s.line(), s.method(), kind, detail);
    if (options.strict())
      throw new TraceException("strict tracing: " + g.message() + "; the graph would be right only for inputs that "
          + "take the same branch");
    guards.add(g);
    // Reported as it happens too (as torch's TracerWarning), so a guard is seen even if the result is not inspected.
    LOG.log(System.Logger.Level.WARNING, "traced graph depends on a value: " + g.message());
    Value c = b.literal(expected, observed.type());
    Value ok = b.op(PrimOps.EQ, observed, c);
    b.create(ControlOps.ASSERT, List.of(ok), Builder.attrs("message", g.message()));
  }

  static TensorType concrete(Tensor t) { return Type.tensor(t.dtype(), Shape.of(t.shape())); }
}
