package dev.kiln.frontend.trace;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Value;
import dev.kiln.ir.Verifier;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records a Java model into Graph IR by running it once on example inputs (as {@code torch.jit.trace}): every op the
 * model runs becomes a node, module parameters become {@code const {name=...}} weights named by their state-dict
 * path, inputs become graph parameters, and every read of a tensor's value in Java becomes a {@link Guard}: logged as a
 * {@code System.Logger} warning, returned in {@link TracedModel#guards()} and checked by an {@code assert} in the graph,
 * or an error in strict mode.
 */
public final class Tracer {
  private Tracer() {}

  /** {@link #trace(Module, List, TraceOptions)} with {@link TraceOptions#defaults()}. */
  public static TracedModel trace(Module module, List<Tensor> inputs) { return trace(module, inputs, TraceOptions.defaults()); }

  /**
   * Runs {@code module.forwardAll} once on {@code inputs} while recording. Not re-entrant on one thread; different
   * threads may trace at once.
   *
   * @param module the model, not null; its parameters are read, not copied (load weights before tracing)
   * @param inputs example inputs, one per graph parameter
   * @param options strict mode, symbolic dims, names; not null
   * @return the verified graph, the weights it names and the guards
   * @throws TraceException at the first guard in strict mode, or when an op fails (naming the user's file:line)
   */
  public static TracedModel trace(Module module, List<Tensor> inputs, TraceOptions options) {
    Map<Parameter, String> names = new IdentityHashMap<>();
    module.namedParameters().forEach((n, p) -> names.putIfAbsent(p, n));
    Graph g = new Graph(options.graphName());
    TraceSession s = new TraceSession(g, options, names);
    s.begin();
    try {
      List<T> ins = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        for (Integer d : options.symbolicDims().getOrDefault(i, Map.of()).keySet())
          if (d < 0 || d >= inputs.get(i).rank())
            throw new IllegalArgumentException("symbolic dim " + d + " of input " + i + " is out of range for rank " + inputs.get(i).rank());
        ins.add(s.input(i, inputs.get(i), inputName(options, i, inputs.size())));
      }
      List<T> outs = module.forwardAll(ins);
      List<Value> results = new ArrayList<>();
      for (T o : outs) results.add(s.valueOf(o));
      s.builder().ret(results.toArray(Value[]::new));
    } finally {
      s.end();
    }
    Verifier.verify(g);
    return new TracedModel(g, s.weights(), s.guards());
  }

  private static String inputName(TraceOptions o, int i, int n) {
    if (i < o.inputNames().size()) return o.inputNames().get(i);
    return n == 1 ? "x" : "x" + i;
  }
}
