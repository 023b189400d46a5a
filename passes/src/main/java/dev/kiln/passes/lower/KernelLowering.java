package dev.kiln.passes.lower;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.kernel.KBuffer;
import dev.kiln.ir.kernel.KType;
import dev.kiln.ir.kernel.KernelProgram;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.FusedOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lowers an optimized graph to Kernel IR: each top-level node (or fused group) becomes one kernel, in program
 * order. The rules (docs/kernel-ir.md): elementwise ops and fused elementwise bodies become loop nests;
 * conv2d/linear/matmul (alone or with a fused epilogue) become primitive calls, the epilogue a loop over the
 * output; reshapes of row-major data become aliases; other movement ops copy loops; reductions, softmax and
 * pooling loop nests; layer_norm a loop nest; attention and lstm GEMM calls with fused softmax / gate loops;
 * chunk and split slice views; everything else a reference call. Loops need static shapes: specialize symbolic dims first
 * (values whose shapes stay symbolic are handled by reference calls only).
 *
 * <p>Stateless; {@link #lower} only reads the graph.
 */
public final class KernelLowering {
  private KernelLowering() {}

  /** What each top-level node became: counted by {@link #lower} for reports. */
  public record Report(Map<String, Integer> loops, Map<String, Integer> primitives, Map<String, Integer> references, Map<String, Integer> aliases) {
    public String summary() {
      return "loops " + loops + ", primitives " + primitives + ", aliases " + aliases + ", reference " + references;
    }
  }

  /** The program and how each node was lowered. */
  public record Result(KernelProgram program, Report report) {}

  /** @param g a verified graph, not null */
  public static KernelProgram lower(Graph g) { return lowerWithReport(g).program(); }

  /** Lowers with backend-specific choices (e.g. Winograd convolutions for the LLVM backend). */
  public static KernelProgram lower(Graph g, LoweringOptions options) { return lowerWithReport(g, options).program(); }

  public static Result lowerWithReport(Graph g) { return lowerWithReport(g, LoweringOptions.DEFAULT); }

  public static Result lowerWithReport(Graph g, LoweringOptions options) {
    LowerContext c = new LowerContext();
    c.options = options;
    Report rep = new Report(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
    List<String> inputs = new ArrayList<>();
    for (int i = 0; i < g.params().size(); i++) {
      Value p = g.params().get(i);
      KType t = LowerContext.bufferType(p);
      if (t == null || LowerContext.nhwc(p)) {
        String b = c.addBuffer(p.name(), KType.OBJ, null, KBuffer.Role.INPUT, Integer.toString(i));
        c.bindObj(p, b);
        inputs.add(b);
      } else {
        long[] s = ((TensorType) p.type()).shape().sizes();
        String b = c.addBuffer(p.name() == null ? "in" + i : p.name(), t, s, KBuffer.Role.INPUT, Integer.toString(i));
        c.bind(p, View.dense(b, t, s, false));
        inputs.add(b);
      }
    }
    Node ret = g.returnNode();
    for (Node n : g.body().nodes()) {
      if (n == ret) break;
      if (n.op() == ControlOps.CONST) continue; // materialized where used
      String op = n.op() == FusedOps.FUSED ? "fused " + n.attrStr("kind") : n.op().name();
      LowerContext.Mark m = c.mark();
      try {
        String kind = lowerNode(c, n);
        count(switch (kind) { case "loop" -> rep.loops(); case "primitive" -> rep.primitives(); default -> rep.aliases(); }, op);
      } catch (Unsupported | IllegalArgumentException | IllegalStateException e) {
        c.rollback(m);
        ReferenceLowering.lower(c, n);
        count(rep.references(), op);
      }
    }
    List<String> outputs = new ArrayList<>();
    for (Value r : ret.operands()) outputs.add(output(c, ret, r));
    KernelProgram p = new KernelProgram(g.name(), c.buffers, inputs, outputs, c.init, c.kernels, c.references);
    return new Result(p, rep);
  }

  private static void count(Map<String, Integer> m, String op) { m.merge(op, 1, Integer::sum); }

  /** @return "loop", "primitive" or "alias" */
  static String lowerNode(LowerContext c, Node n) {
    String op = n.op().name();
    if (n.op() == FusedOps.FUSED) return FusedLowering.lower(c, n);
    if (n.op().hasTrait(dev.kiln.ir.OpDef.Trait.ELEMENTWISE) && !op.equals("nn.dropout")) {
      ElementwiseLowering.node(c, n);
      return "loop";
    }
    if (LinalgLowering.handles(op)) {
      c.emit(n.describe(), op, LinalgLowering.lower(c, n, c.define(n.result())));
      return "primitive";
    }
    if (MovementLowering.handles(op)) {
      int before = c.kernels.size();
      MovementLowering.lower(c, n);
      return c.kernels.size() == before ? "alias" : "loop";
    }
    if (ReduceLowering.handles(op)) {
      ReduceLowering.lower(c, n);
      return "loop";
    }
    if (NormLowering.handles(op)) {
      NormLowering.lower(c, n);
      return "loop";
    }
    if (AttentionLowering.handles(op)) {
      AttentionLowering.lower(c, n);
      return "primitive";
    }
    if (LstmLowering.handles(op)) {
      LstmLowering.lower(c, n);
      return "primitive";
    }
    throw new Unsupported(op + " has no kernel lowering");
  }

  /** The buffer returned for graph result {@code r}: row-major (copied when its view is not) or obj. */
  private static String output(LowerContext c, Node ret, Value r) {
    if (c.obj(r) != null) return c.obj(r);
    View v;
    try {
      v = c.view(r);
    } catch (Unsupported e) {
      // a returned constant that is not a tensor (an int, a list): the interpreter makes it
      if (r.definingNode() == null || r.definingNode().op() != ControlOps.CONST) throw new IllegalStateException(
          "result %" + r.displayName() + " of " + ret.describe() + " has no buffer: " + e.getMessage());
      ReferenceLowering.lower(c, r.definingNode());
      if (c.obj(r) != null) return c.obj(r);
      v = c.view(r);
    }
    if (v.isRowMajor()) return v.buffer();
    View dense = View.dense(c.addBuffer(v.buffer() + "_out", v.type(), v.shape(), KBuffer.Role.TEMP, null), v.type(), v.shape(), false);
    MovementLowering.copy(c, ret, v, dense);
    return dense.buffer();
  }
}
