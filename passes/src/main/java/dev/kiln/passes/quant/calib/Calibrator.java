package dev.kiln.passes.quant.calib;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.runtime.KilnRuntimeException;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.Interpreter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a graph on calibration samples with the reference interpreter and hands over the values of chosen
 * intermediate tensors. The graph is instrumented by returning those values as extra results for the duration of
 * the run (its return node is restored afterwards, also on failure), so no observer op is needed in the IR and
 * the interpreter runs the graph as it is. Only values of the top-level block can be probed.
 */
public final class Calibrator {
  private Calibrator() {}

  /** Told after each sample; for progress bars. */
  @FunctionalInterface
  public interface Progress {
    void done(int samples, int total);

    Progress NONE = (s, t) -> {};
  }

  private static final ThreadLocal<Progress> AMBIENT = ThreadLocal.withInitial(() -> Progress.NONE);

  /**
   * Runs {@code body} with {@code p} as the progress of calibrations that were given {@link Progress#NONE} (passes
   * made from pipeline strings), so a command line can draw a progress bar; a side channel like PassRun's figures.
   */
  public static <T> T withProgress(Progress p, java.util.function.Supplier<T> body) {
    Progress old = AMBIENT.get();
    AMBIENT.set(p);
    try {
      return body.get();
    } finally {
      AMBIENT.set(old);
    }
  }

  /** The progress set by {@link #withProgress} on this thread, or {@link Progress#NONE}. */
  public static Progress ambient() { return AMBIENT.get(); }

  /** Receives one sample's graph results and probed values (in the order asked). */
  @FunctionalInterface
  public interface Sink {
    void accept(int sample, List<Object> results, List<Object> probes);
  }

  /** True when {@code v} is a float tensor defined in the top-level block of {@code g} (so it can be probed). */
  public static boolean probeable(Graph g, Value v) {
    if (!(v.type() instanceof TensorType t) || !t.dtype().isFloat()) return false;
    Node d = v.definingNode();
    return d == null ? g.params().contains(v) : d.block() == g.body();
  }

  /**
   * Runs {@code g} on every sample.
   *
   * @throws IllegalArgumentException naming the sample whose run failed (wrong shape, dtype, ...)
   */
  public static void run(Graph g, Map<String, Tensor> weights, List<Value> probes, CalibrationSet set, Progress progress, Sink sink) {
    set.checkArity(g.params().size());
    for (Value v : probes) if (!probeable(g, v)) throw new IllegalArgumentException("cannot probe " + v + ": not a top-level float tensor");
    Node ret = g.returnNode();
    List<Value> original = List.copyOf(ret.operands());
    List<Value> all = new ArrayList<>(original);
    all.addAll(probes);
    ret.setOperands(all);
    try {
      Interpreter in = new Interpreter(g, weights);
      int i = 0;
      for (CalibrationSet.Sample s : set.samples()) {
        List<Object> out;
        try {
          out = in.run(s.inputs());
        } catch (IllegalArgumentException | KilnRuntimeException e) {
          throw new IllegalArgumentException(s.name() + ": calibration run failed: " + e.getMessage(), e);
        }
        sink.accept(i, out.subList(0, original.size()), out.subList(original.size(), out.size()));
        progress.done(++i, set.size());
      }
    } finally {
      ret.setOperands(original);
    }
  }

  private static final ThreadLocal<Map<String, Observer.Range>> MEMO = new ThreadLocal<>();

  /**
   * Runs {@code body} with the ranges of named values remembered across calibrations on this thread, keyed by value
   * name, observer kind and calibration set (by identity). For callers that quantize copies of one named float
   * program many times (the accuracy-budget search): the graph must compute the same tensor under a name each time.
   */
  public static <T> T withMemo(java.util.function.Supplier<T> body) {
    Map<String, Observer.Range> old = MEMO.get();
    MEMO.set(new java.util.HashMap<>());
    try {
      return body.get();
    } finally {
      MEMO.set(old);
    }
  }

  /**
   * Observes {@code values} over the set with a fresh observer of {@code kind} each; the ranges by value. Inside
   * {@link #withMemo}, only the values not observed before are run.
   */
  public static Map<Value, Observer.Range> ranges(Graph g, Map<String, Tensor> weights, List<Value> values, ObserverKind kind,
      CalibrationSet set, Progress progress) {
    Map<String, Observer.Range> memo = MEMO.get();
    String prefix = kind.text() + "|" + System.identityHashCode(set) + "|";
    List<Value> todo = new ArrayList<>();
    for (Value v : values) if (memo == null || v.name() == null || !memo.containsKey(prefix + v.name())) todo.add(v);
    List<Observer> obs = new ArrayList<>();
    for (int i = 0; i < todo.size(); i++) obs.add(kind.create());
    if (!todo.isEmpty())
      run(g, weights, todo, set, progress, (s, results, probes) -> {
        for (int i = 0; i < probes.size(); i++) obs.get(i).observe(((Tensor) probes.get(i)).toFloatArray());
      });
    Map<Value, Observer.Range> found = new java.util.IdentityHashMap<>();
    for (int i = 0; i < todo.size(); i++) {
      Value v = todo.get(i);
      found.put(v, obs.get(i).range());
      if (memo != null && v.name() != null) memo.put(prefix + v.name(), obs.get(i).range());
    }
    Map<Value, Observer.Range> out = new LinkedHashMap<>();
    for (Value v : values) out.put(v, found.containsKey(v) ? found.get(v) : memo.get(prefix + v.name()));
    return out;
  }
}
