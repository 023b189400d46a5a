package dev.kiln.passes.quant;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassRun;
import dev.kiln.passes.Program;
import dev.kiln.passes.fold.Consts;
import dev.kiln.passes.rewrite.GreedyRewriter;
import java.util.Objects;

/**
 * {@code quantize=dynamic|static}: int8 quantization of linear, LSTM (dynamic) and conv/linear/add/matmul/pooling
 * (static) layers. Options in {@link QuantConfig#HELP}. Reads and adds weights (quantized copies under new names),
 * so it needs the program's weight table; layers whose weights are unknown stay in float.
 *
 * <p>Figures: dynamic reports {@code linear} (q.linear_dynamic made, LSTM projections included), {@code lstm}
 * (LSTMs rewritten), {@code unfused} (fused groups undone to reach a layer) and {@code kept} (layers left in float
 * by {@code keep=}). Static reports the counts of its own ({@link StaticQuantizer}).
 */
public final class QuantizePass implements Pass {
  private final QuantConfig config;

  public QuantizePass() { this(QuantConfig.dynamic()); }

  public QuantizePass(QuantConfig config) { this.config = Objects.requireNonNull(config, "config"); }

  public QuantConfig config() { return config; }

  @Override public String name() { return "quantize"; }

  @Override public String summary() {
    return "int8 quantization: dynamic (linear/LSTM weights, activations per call) or static (calibrated activations)";
  }

  @Override public String optionsHelp() { return QuantConfig.HELP; }

  @Override public Pass withOptions(String value) { return new QuantizePass(QuantConfig.parse(value)); }

  @Override public Graph run(Graph g) { return run(Program.of(g)).graph(); }

  @Override public Program run(Program p) {
    if (config.mode() == QuantConfig.Mode.STATIC) return StaticQuantizer.run(p, config);
    return runDynamic(p, config);
  }

  /** True when the dynamic rewrite would quantize {@code n} (a linear or LSTM with a known weight, not kept). */
  static boolean dynamicCandidate(Node n, Program p, QuantConfig cfg) {
    String op = n.op().name();
    if (!op.equals("nn.linear") && !op.equals("nn.lstm")) return false;
    if (cfg.keep().contains(Layers.name(n))) return false;
    if (n.numOperands() <= 1) return false;
    // Inside a fused body the weight is a block argument: look through to the operand of the fused node.
    dev.kiln.ir.Value w = Layers.weightOf(n);
    if (w != null && w.definingNode() == null && w.definingBlock() != null && w.definingBlock().parent() != null)
      w = w.definingBlock().parent().operand(w.index());
    return w != null && Consts.tensor(w, p.weights()) != null;
  }

  static Program runDynamic(Program p, QuantConfig cfg) {
    Graph g = p.graph();
    long kept = g.allNodes().stream().filter(n -> (n.op().name().equals("nn.linear") || n.op().name().equals("nn.lstm"))
        && cfg.keep().contains(Layers.name(n))).count();
    int unfused = FusedInliner.inline(g, n -> dynamicCandidate(n, p, cfg));
    long before = count(g, "q.linear_dynamic"), lstms = count(g, "nn.lstm");
    new GreedyRewriter(DynamicPatterns.all(cfg)).run(p);
    PassRun.figure("linear", count(g, "q.linear_dynamic") - before);
    PassRun.figure("lstm", lstms - count(g, "nn.lstm"));
    PassRun.figure("unfused", unfused);
    PassRun.figure("kept", kept);
    return p;
  }

  static long count(Graph g, String op) { return g.allNodes().stream().filter(n -> n.op().name().equals(op)).count(); }
}
