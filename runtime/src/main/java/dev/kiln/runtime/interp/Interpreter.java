package dev.kiln.runtime.interp;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The reference interpreter: runs a verified {@link Graph} node by node with the kernels of {@link KernelTable}.
 * Control flow and constants are handled here: {@code const}, {@code return}, {@code yield}, {@code if},
 * {@code loop} (TorchScript's prim::Loop), {@code fused} (runs its block), {@code raise} and {@code assert}.
 *
 * <p>Thread-safe: each {@link #run} keeps its values in its own environment; the graph and the weights are only
 * read (do not edit the graph while runs are in flight). Every result is checked against the type the graph
 * declares for it, so a wrong type rule or pass is caught at the node that broke it.
 */
public final class Interpreter {
  private final Graph graph;
  private final Map<String, Tensor> weights;

  /**
   * @param graph a verified graph, not null; every op in it must have a kernel (checked here)
   * @param weights tensors that {@code const {name=...}} nodes look up; may be empty, not null
   * @throws IllegalArgumentException naming an op that has no kernel
   */
  public Interpreter(Graph graph, Map<String, Tensor> weights) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.weights = Map.copyOf(Objects.requireNonNull(weights, "weights"));
    for (Node n : graph.allNodes())
      if (!KernelTable.handledByInterpreter(n.op().name()) && KernelTable.find(n.op().name()) == null)
        throw new IllegalArgumentException("graph @" + graph.name() + ": " + n.describe() + " has no reference kernel");
  }

  public Graph graph() { return graph; }

  /**
   * Runs the graph once.
   *
   * @param inputs one value per graph parameter: Tensor, Long (int), Double (float), Boolean, String, null (none),
   *     List or Tuple; Integer and Float are accepted and widened
   * @return one value per graph result, in order (a read-only list that may hold null)
   * @throws IllegalArgumentException when an input does not fit its parameter (dtype, rank, static dims, a
   *     symbolic dim bound to two sizes), naming the parameter and what was expected
   * @throws KilnRuntimeException when a node fails, naming the node and the problem
   */
  public List<Object> run(List<Object> inputs) {
    List<Value> params = graph.params();
    if (inputs.size() != params.size())
      throw new IllegalArgumentException("graph @" + graph.name() + " takes " + params.size() + " inputs, got " + inputs.size());
    Map<String, Long> symbols = new HashMap<>();
    Map<Value, Object> env = new IdentityHashMap<>();
    for (int i = 0; i < params.size(); i++) {
      Value p = params.get(i);
      Object v = Values.normalize(inputs.get(i), p.type());
      String m = Values.mismatch(p.type(), v, symbols);
      if (m != null) throw new IllegalArgumentException("graph @" + graph.name() + ": input " + i + " (%" + p.displayName() + "): " + m);
      env.put(p, v);
    }
    Frame f = new Frame(env, symbols);
    return Collections.unmodifiableList(new ArrayList<>(f.runBlock(graph.body())));
  }

  /** The state of one run: values by SSA value and the sizes bound to symbolic dims. */
  private final class Frame {
    private final Map<Value, Object> env;
    private final Map<String, Long> symbols;

    Frame(Map<Value, Object> env, Map<String, Long> symbols) {
      this.env = env;
      this.symbols = symbols;
    }

    /** Runs the nodes of {@code b} and returns the operands of its terminator. */
    List<Object> runBlock(Block b) {
      for (Node n : b.nodes()) {
        String op = n.op().name();
        if (op.equals("return") || op.equals("yield")) return operands(n);
        List<Object> results = execute(n);
        if (results.size() != n.results().size())
          throw new KilnRuntimeException(n.describe() + ": kernel gave " + results.size() + " results, the node has " + n.results().size());
        for (int i = 0; i < results.size(); i++) {
          Value r = n.result(i);
          String m = Values.mismatch(r.type(), results.get(i), symbols);
          if (m != null) throw new KilnRuntimeException(n.describe() + ": result " + i + " (%" + r.displayName() + ") " + m);
          env.put(r, results.get(i));
        }
      }
      throw new KilnRuntimeException("block of " + (b.parent() == null ? "graph @" + graph.name() : b.parent().describe()) + " ends without return or yield");
    }

    private List<Object> operands(Node n) {
      List<Object> out = new ArrayList<>(n.numOperands());
      for (Value v : n.operands()) {
        if (!env.containsKey(v)) throw new KilnRuntimeException(n.describe() + ": operand %" + v.displayName() + " has no value yet");
        out.add(env.get(v));
      }
      return out;
    }

    private List<Object> execute(Node n) {
      try {
        return switch (n.op().name()) {
          case "const" -> Collections.singletonList(Literals.evaluate(n, weights));
          case "if" -> runIf(n);
          case "loop" -> runLoop(n);
          case "fused" -> runFused(n);
          case "raise" -> throw new KilnRuntimeException(n.describe() + ": " + n.attrStr("kind") + ": " + n.attrStr("message"));
          case "assert" -> {
            if (!truth(n, operands(n).get(0))) throw new KilnRuntimeException(n.describe() + ": " + n.attrStr("message"));
            yield List.of();
          }
          default -> KernelTable.find(n.op().name()).run(new KernelArgs(n, operands(n)));
        };
      } catch (KilnRuntimeException e) {
        throw e;
      } catch (RuntimeException e) {
        String msg = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        throw new KilnRuntimeException(n.describe() + ": " + msg, e);
      }
    }

    private List<Object> runIf(Node n) {
      Block taken = truth(n, operands(n).get(0)) ? n.block(0) : n.block(1);
      return runBlock(taken);
    }

    /** A fused group means what its block computes: the block's arguments take the node's operand values. */
    private List<Object> runFused(Node n) {
      List<Object> ops = operands(n);
      Block body = n.block(0);
      for (int k = 0; k < ops.size(); k++) env.put(body.arg(k), ops.get(k));
      return runBlock(body);
    }

    /**
     * TorchScript's loop: {@code i = 0; c = cond; while (i < trip && c) { c, carried = body(i, carried); i++ }};
     * the results are the carried values after the last iteration.
     */
    private List<Object> runLoop(Node n) {
      List<Object> ops = operands(n);
      if (!(ops.get(0) instanceof Long trip)) throw new KilnRuntimeException(n.describe() + ": trip count is " + Values.describe(ops.get(0)) + ", expected int");
      boolean cond = truth(n, ops.get(1));
      List<Object> carried = new ArrayList<>(ops.subList(2, ops.size()));
      Block body = n.block(0);
      if (body.args().size() != carried.size() + 1)
        throw new KilnRuntimeException(n.describe() + ": body takes " + body.args().size() + " arguments, expected " + (carried.size() + 1));
      for (long i = 0; i < trip && cond; i++) {
        env.put(body.arg(0), i);
        for (int k = 0; k < carried.size(); k++) env.put(body.arg(k + 1), carried.get(k));
        List<Object> out = runBlock(body);
        if (out.size() != carried.size() + 1)
          throw new KilnRuntimeException(n.describe() + ": body yields " + out.size() + " values, expected " + (carried.size() + 1));
        cond = truth(n, out.get(0));
        carried = new ArrayList<>(out.subList(1, out.size()));
      }
      return carried;
    }
  }

  /** A bool value, or a one-element tensor's truth (as Python's bool(tensor)). */
  static boolean truth(Node n, Object v) {
    if (v instanceof Boolean b) return b;
    if (v instanceof Tensor t && t.numel() == 1) return t.doubleAt(0) != 0;
    throw new KilnRuntimeException(n.describe() + ": condition is " + Values.describe(v) + ", expected bool");
  }

  @Override public String toString() { return "Interpreter(@" + graph.name() + ", " + weights.size() + " weights)"; }
}
