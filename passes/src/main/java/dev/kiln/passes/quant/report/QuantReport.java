package dev.kiln.passes.quant.report;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.QuantOps;
import dev.kiln.ir.text.IrParser;
import dev.kiln.ir.text.IrPrinter;
import dev.kiln.passes.PassManager;
import dev.kiln.passes.Program;
import dev.kiln.passes.quant.Layers;
import dev.kiln.passes.quant.QuantConfig;
import dev.kiln.passes.quant.QuantizePass;
import dev.kiln.passes.quant.calib.CalibrationSet;
import dev.kiln.passes.quant.calib.Calibrator;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Measures what quantization costs, on a calibration set, with the reference interpreter: per layer, the error of
 * the layer's output in the quantized model against the same value in the float model (accumulated error, as
 * PyTorch's numeric suite compares model outputs), and end to end, the output's error and, for a classifier (a
 * first result shaped [N, C] with C >= 2), how often the top-1 class agrees.
 *
 * <p>Layers are matched by value name: the float program is first given a name for every value (printed and parsed
 * back), and the quantize pass keeps a layer's result name on the quantized op that replaces it.
 */
public final class QuantReport {
  private QuantReport() {}

  /** One quantized layer: its name ({@link Layers#name}), the q op that computes it, and its output error. */
  public record LayerError(String layer, String op, double sqnrDb, double maxAbs, double meanAbs) {}

  /** The model output's error over the set; top-1 figures only when {@code classification}. */
  public record EndToEnd(int samples, long rows, boolean classification, double top1Agreement, double sqnrDb, double maxAbs,
      double meanAbs, double relativeL2) {}

  /** A quantized program and what it costs. */
  public record Result(Program quantized, List<LayerError> layers, EndToEnd output) {}

  private static final Set<String> LAYER_OPS = Set.of("nn.linear", "nn.conv2d", "nn.lstm", "nn.add", "nn.matmul");

  /** A copy of {@code p} in which every value has a name (weights shared, table copied). */
  public static Program named(Program p) {
    Graph g = IrParser.parse(IrPrinter.print(p.graph()), "@" + p.graph().name());
    return new Program(g, new HashMap<>(p.weights()));
  }

  /** Quantizes a copy of {@code floatNamed} (which stays as it is). */
  public static Program quantize(Program floatNamed, QuantConfig cfg) {
    return new PassManager(List.of(new QuantizePass(cfg))).run(named(floatNamed));
  }

  /** Quantizes a copy of {@code floatNamed} with {@code cfg} and measures it. */
  public static Result run(Program floatNamed, QuantConfig cfg, CalibrationSet set, Calibrator.Progress progress) {
    Program q = quantize(floatNamed, cfg);
    return measure(floatNamed, q, set, progress);
  }

  private static Map<String, Value> topLevelByName(Graph g) {
    Map<String, Value> m = new HashMap<>();
    for (Value v : g.params()) if (v.name() != null) m.put(v.name(), v);
    for (Node n : g.body().nodes()) for (Value v : n.results()) if (v.name() != null) m.put(v.name(), v);
    return m;
  }

  /** A quantized layer: float and quantized values standing for the same tensor. */
  private record Pair(String layer, String op, Value floatValue, Value quantValue) {}

  private static List<Pair> pairs(Graph f, Graph q) {
    Map<String, Value> byName = topLevelByName(q);
    List<Pair> out = new ArrayList<>();
    for (Node n : f.body().nodes()) {
      if (!LAYER_OPS.contains(n.op().name())) continue;
      List<Value> candidates = new ArrayList<>();
      Value r = n.result(0);
      if (r.uses().size() == 1 && r.uses().get(0).user().op().name().equals("nn.relu")) candidates.add(r.uses().get(0).user().result());
      candidates.add(r);
      for (Value c : candidates) {
        Value qv = c.name() == null ? null : byName.get(c.name());
        if (qv == null || qv.definingNode() == null || !(qv.type() instanceof TensorType)) continue;
        String op = qv.definingNode().op().name();
        if (op.equals(c.definingNode().op().name())) continue; // still the float op: kept in float
        out.add(new Pair(Layers.name(n), n.op().name().equals("nn.lstm") ? "nn.lstm -> q.linear_dynamic" : op, c, qv));
        break;
      }
    }
    return out;
  }

  /** Compares {@code quantized} against {@code floatNamed} (whose values all have names) on every sample. */
  public static Result measure(Program floatNamed, Program quantized, CalibrationSet set, Calibrator.Progress progress) {
    Graph f = floatNamed.graph(), q = quantized.graph();
    List<Pair> pairs = pairs(f, q);
    List<Value> fProbes = new ArrayList<>(), qProbes = new ArrayList<>();
    List<Node> temporary = new ArrayList<>();
    for (Pair p : pairs) {
      fProbes.add(p.floatValue());
      Value v = p.quantValue();
      if (v.tensorType().dtype().isQuantized()) {
        v = Builder.before(q.returnNode()).op(QuantOps.DEQUANTIZE, v);
        temporary.add(v.definingNode());
      }
      qProbes.add(v);
    }
    Map<String, ErrorStats> layers = new LinkedHashMap<>();
    for (Pair p : pairs) layers.put(p.layer(), new ErrorStats());
    ErrorStats out = new ErrorStats();
    long[] rows = {0, 0};
    boolean classification = classifier(f);
    try {
      int i = 0;
      for (CalibrationSet.Sample s : set.samples()) {
        CalibrationSet one = new CalibrationSet(List.of(s));
        List<List<Object>> fr = new ArrayList<>(), fp = new ArrayList<>();
        Calibrator.run(f, floatNamed.weights(), fProbes, one, Calibrator.Progress.NONE, (k, res, pr) -> {
          fr.add(res);
          fp.add(pr);
        });
        List<Object> fRes = fr.getFirst(), fPr = fp.getFirst();
        Calibrator.run(q, quantized.weights(), qProbes, one, Calibrator.Progress.NONE, (k, res, pr) -> {
          for (int j = 0; j < pairs.size(); j++) layers.get(pairs.get(j).layer()).add(floats(fPr.get(j)), floats(pr.get(j)));
          for (int j = 0; j < res.size(); j++)
            if (res.get(j) instanceof Tensor t && t.dtype().isFloat()) out.add(floats(fRes.get(j)), t.toFloatArray());
          if (classification) top1((Tensor) fRes.getFirst(), (Tensor) res.getFirst(), rows);
        });
        progress.done(++i, set.size());
      }
    } finally {
      for (Node n : temporary) n.erase();
    }
    List<LayerError> errs = new ArrayList<>();
    for (Pair p : pairs) {
      ErrorStats e = layers.get(p.layer());
      errs.add(new LayerError(p.layer(), p.op(), e.sqnrDb(), e.maxAbs(), e.meanAbs()));
    }
    EndToEnd e2e = new EndToEnd(set.size(), rows[1], classification, rows[1] == 0 ? 1 : (double) rows[0] / rows[1], out.sqnrDb(),
        out.maxAbs(), out.meanAbs(), out.relativeL2());
    return new Result(quantized, errs, e2e);
  }

  /** The float program's results on every sample (no probes), for {@link #endToEnd}. */
  public static List<List<Object>> floatResults(Program floatNamed, CalibrationSet set) {
    List<List<Object>> out = new ArrayList<>();
    Calibrator.run(floatNamed.graph(), floatNamed.weights(), List.of(), set, Calibrator.Progress.NONE, (k, res, pr) -> out.add(List.copyOf(res)));
    return out;
  }

  /**
   * The end-to-end error of {@code quantized} against float results computed before ({@link #floatResults} on the
   * same set): one run per sample with {@code runner}, no layer probes. What a search that measures many variants needs.
   */
  public static EndToEnd endToEnd(Program floatNamed, Program quantized, CalibrationSet set, List<List<Object>> floatResults, Runner runner) {
    ErrorStats out = new ErrorStats();
    long[] rows = {0, 0};
    boolean classification = classifier(floatNamed.graph());
    java.util.function.Function<List<Object>, List<Object>> model = runner.load(quantized);
    int k = 0;
    for (CalibrationSet.Sample s : set.samples()) {
      List<Object> res;
      try {
        res = model.apply(s.inputs());
      } catch (IllegalArgumentException | dev.kiln.runtime.KilnRuntimeException e) {
        throw new IllegalArgumentException(s.name() + ": measuring run failed: " + e.getMessage(), e);
      }
      List<Object> fRes = floatResults.get(k++);
      for (int j = 0; j < res.size(); j++)
        if (res.get(j) instanceof Tensor t && t.dtype().isFloat()) out.add(floats(fRes.get(j)), t.toFloatArray());
      if (classification) top1((Tensor) fRes.getFirst(), (Tensor) res.getFirst(), rows);
    }
    return new EndToEnd(set.size(), rows[1], classification, rows[1] == 0 ? 1 : (double) rows[0] / rows[1], out.sqnrDb(),
        out.maxAbs(), out.meanAbs(), out.relativeL2());
  }

  /** The names of the layers {@code quantized} quantizes ({@link Layers#name}), in program order. */
  public static List<String> layers(Program floatNamed, Program quantized) {
    return pairs(floatNamed.graph(), quantized.graph()).stream().map(Pair::layer).distinct().toList();
  }

  private static float[] floats(Object o) { return ((Tensor) o).toFloatArray(); }

  /** A first result of type f32[N, C] with a static C >= 2. */
  static boolean classifier(Graph g) {
    if (g.results().isEmpty() || !(g.results().getFirst().type() instanceof TensorType t)) return false;
    return t.dtype().isFloat() && t.rank() == 2 && t.shape().dim(1).isStatic() && t.shape().dim(1).size() >= 2;
  }

  /** Adds to rows[0] the rows whose argmax agrees and to rows[1] all rows. */
  private static void top1(Tensor ref, Tensor got, long[] rows) {
    float[] a = ref.toFloatArray(), b = got.toFloatArray();
    int c = (int) ref.size(1), n = c == 0 ? 0 : a.length / c;
    for (int r = 0; r < n; r++) {
      if (argmax(a, r * c, c) == argmax(b, r * c, c)) rows[0]++;
      rows[1]++;
    }
  }

  private static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
    return best;
  }
}
