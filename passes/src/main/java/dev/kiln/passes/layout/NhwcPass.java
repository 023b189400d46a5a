package dev.kiln.passes.layout;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Layout;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.FusedOps;
import dev.kiln.passes.Pass;
import dev.kiln.passes.PassRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Switches chains of 2-D convolutions, and the layout-agnostic ops between them ({@link LayoutRules}), to
 * channels-last: their 4-D values get the {@code {nhwc}} layout, and {@code nn.to_layout} ops convert at the
 * boundaries, once per value. Logical shapes do not change, so every value means what it meant; only the storage
 * order that lowering will use does.
 *
 * <p>In each block, in program order: an anchor (convolution) produces NHWC; an agnostic op produces NHWC when one
 * of its data operands is NHWC, converting its other data operands to NHWC; every other user of an NHWC value
 * (including {@code return}, {@code yield} and nodes nested in if/loop blocks) gets it converted back to
 * contiguous. Fused groups are updated inside too. Afterwards {@link LayoutCancel} removes conversions that undo
 * each other. Values crossing into if/loop blocks stay contiguous; their blocks are converted on their own.
 *
 * <p>Statistic: {@link #convert} returns the conversions inserted, cancelled and left; {@link #countConversions}
 * counts the {@code nn.to_layout} nodes of any graph. The pass reports them as figures {@code inserted},
 * {@code cancelled} and {@code remaining} ({@link PassRun#figure}) and logs them at DEBUG level on the
 * {@code dev.kiln.passes.layout} logger.
 */
public final class NhwcPass implements Pass {
  private static final System.Logger LOG = System.getLogger("dev.kiln.passes.layout");

  /** What one run did: conversions inserted, conversions removed as redundant, and conversions in the graph after. */
  public record Stats(int inserted, int cancelled, int remaining) {}

  @Override public String name() { return "nhwc"; }

  @Override public String summary() { return "run conv chains channels-last (nhwc) with layout conversions at the boundaries"; }

  @Override public Graph run(Graph g) {
    Stats s = convert(g);
    PassRun.figure("inserted", s.inserted());
    PassRun.figure("cancelled", s.cancelled());
    PassRun.figure("remaining", s.remaining());
    LOG.log(System.Logger.Level.DEBUG, () -> "nhwc @" + g.name() + ": " + s);
    return g;
  }

  /**
   * Rewrites {@code g} in place.
   *
   * @param g a verified graph, not null
   * @return the figures of this run (never null)
   */
  public static Stats convert(Graph g) {
    int[] inserted = {0};
    convertBlock(g.body(), inserted);
    int cancelled = LayoutCancel.run(g.body());
    return new Stats(inserted[0], cancelled, countConversions(g));
  }

  /** The number of {@code nn.to_layout} nodes in {@code g}, nested blocks included. */
  public static int countConversions(Graph g) {
    int n = 0;
    for (Node node : g.allNodes()) if (node.op() == FusedOps.TO_LAYOUT) n++;
    return n;
  }

  private static void convertBlock(Block b, int[] inserted) {
    Map<Value, Value> toNhwc = new LinkedHashMap<>(), toContiguous = new LinkedHashMap<>();
    for (Node n : List.copyOf(b.nodes())) {
      boolean region = LayoutRules.isAnchor(n) || LayoutRules.isAgnostic(n) && anyDataNhwc(n);
      if (region) {
        for (int i : LayoutRules.dataOperands(n)) {
          Value v = n.operand(i);
          if (!LayoutRules.isNhwc(v)) n.setOperand(i, convert(v, Layout.NHWC, n, toNhwc, inserted));
        }
        for (Value r : n.results()) r.setType(((TensorType) r.type()).withLayout(Layout.NHWC));
        if (n.op() == FusedOps.FUSED) retypeFusedBlock(n);
      } else if (n.op() != FusedOps.TO_LAYOUT) {
        for (int i = 0; i < n.numOperands(); i++)
          if (LayoutRules.isNhwc(n.operand(i))) n.setOperand(i, convert(n.operand(i), Layout.CONTIGUOUS, n, toContiguous, inserted));
        // Outer values reach nested blocks contiguous; only then are the blocks converted on their own.
        if (n.op() != FusedOps.FUSED) for (Block inner : n.blocks()) contiguousInside(inner, n, toContiguous, inserted);
        if (n.op() != FusedOps.FUSED) for (Block inner : n.blocks()) convertBlock(inner, inserted);
      }
    }
  }

  private static boolean anyDataNhwc(Node n) {
    for (int i : LayoutRules.dataOperands(n)) if (LayoutRules.isNhwc(n.operand(i))) return true;
    return false;
  }

  /** Uses inside nested if/loop blocks of NHWC values from outside read a contiguous copy made before the holder. */
  private static void contiguousInside(Block inner, Node holder, Map<Value, Value> cache, int[] inserted) {
    for (Node m : inner.nodes()) {
      for (int i = 0; i < m.numOperands(); i++) {
        Value v = m.operand(i);
        if (LayoutRules.isNhwc(v) && v.definingNode() != null && v.definingNode().block() == holder.block())
          m.setOperand(i, convert(v, Layout.CONTIGUOUS, holder, cache, inserted));
      }
      for (Block deeper : m.blocks()) contiguousInside(deeper, holder, cache, inserted);
    }
  }

  /** Block arguments mirror the (converted) operands; inner values follow the same rules as the outer block. */
  private static void retypeFusedBlock(Node fused) {
    Block body = fused.block(0);
    for (int i = 0; i < fused.numOperands(); i++) body.arg(i).setType(fused.operand(i).type());
    for (Node m : body.nodes())
      if (LayoutRules.isAnchor(m) || LayoutRules.isAgnostic(m) && anyDataNhwc(m))
        for (Value r : m.results()) r.setType(((TensorType) r.type()).withLayout(Layout.NHWC));
  }

  /** {@code v} in layout {@code l}, made by one {@code nn.to_layout} before {@code user} and shared by later users. */
  private static Value convert(Value v, Layout l, Node user, Map<Value, Value> cache, int[] inserted) {
    Value c = cache.get(v);
    if (c != null) return c;
    Node t = Node.create(FusedOps.TO_LAYOUT, List.of(v), Map.of("layout", Attr.of(FusedOps.layoutName(l))),
        List.of(((TensorType) v.type()).withLayout(l)), 0);
    user.block().insertBefore(user, t);
    if (v.name() != null) t.result().setName(v.name() + (l == Layout.NHWC ? "_nhwc" : "_nchw"));
    inserted[0]++;
    cache.put(v, t.result());
    return t.result();
  }

}
