package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.LinalgOps;
import dev.kiln.ir.ops.NnOps;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.rewrite.Rewriter;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Folding per-channel affine ops into the convolution or linear layer before them. Each applies only when the
 * layer's result has no other use, its weight and bias and the affine op's parameters are known constants, and the
 * result type does not change. Folded weights get new names in the weight table (or stay literals when the layer's
 * weight was a literal), so tensors shared with other graphs are never changed.
 */
public final class BatchNormPatterns {
  private BatchNormPatterns() {}

  /** The producer of {@code v} if it is one of {@code ops} and {@code v} has no other use. */
  private static Node soleProducer(Value v, OpDef... ops) {
    Node d = v.definingNode();
    if (d == null || v.uses().size() != 1) return null;
    for (OpDef op : ops) if (d.op() == op) return d;
    return null;
  }

  /** Weight and bias of a layer node, as known tensors; the bias is zeros when absent. Null when not known. */
  private record Layer(Node node, Tensor w, double[] bias, int outChannels) {
    static Layer of(Node n, Rewriter rw) {
      Tensor w = Consts.tensor(n.operand(1), rw.weights());
      if (w == null || w.rank() < 2) return null;
      int o = (int) w.size(0);
      double[] b = new double[o];
      if (n.numOperands() > 2) {
        Tensor bt = Consts.tensor(n.operand(2), rw.weights());
        if (bt == null || bt.numel() != o) return null;
        b = bt.toDoubleArray();
      }
      return new Layer(n, w, b, o);
    }

    /** Replaces {@code root} by the layer recomputed with weight rows scaled by {@code scale} and bias {@code bias}. */
    boolean rebuild(Node root, double[] scale, double[] newBias, Rewriter rw) {
      double[] wv = w.toDoubleArray();
      int per = wv.length / outChannels;
      for (int o = 0; o < outChannels; o++) for (int k = 0; k < per; k++) wv[o * per + k] *= scale[o];
      Value wOld = node.operand(1);
      Value wNew = constLike(wOld, Tensor.ofDoubles(w.dtype(), wv, w.shape()), rw, "");
      TensorType bt = Type.tensor(w.dtype(), outChannels);
      Value bNew = constLike(node.numOperands() > 2 ? node.operand(2) : wOld, Tensor.ofDoubles(w.dtype(), newBias, outChannels), rw,
          node.numOperands() > 2 ? "" : ".bias");
      if (wNew == null || bNew == null || !bNew.type().equals(bt)) return false;
      Value r = rw.createAs(node.op(), List.of(node.operand(0), wNew, bNew), node.attrs(), root.result().type());
      if (r == null) return false;
      rw.replace(root, r);
      return true;
    }
  }

  /**
   * A constant holding {@code t}, made like {@code like}: a literal when {@code like} is a literal, otherwise a new
   * weight named after {@code like}'s weight with {@code suffix} and {@code .folded}.
   */
  private static Value constLike(Value like, Tensor t, Rewriter rw, String suffix) {
    TensorType type = Type.tensor(t.dtype(), t.shape());
    if (Consts.literal(like) != null) {
      Attr a = ConstantFolder.toAttr(t, type);
      return a == null ? null : rw.literal(a, type);
    }
    String base = Consts.weightName(like);
    if (base == null) return null;
    if (!suffix.isEmpty() && base.endsWith(".weight")) base = base.substring(0, base.length() - ".weight".length());
    String name = rw.freshWeightName(base + suffix + ".folded");
    rw.weights().put(name, t);
    return rw.weight(name, type);
  }

  private static double[] vector(Value v, int n, Rewriter rw, double absent) {
    double[] out = new double[n];
    java.util.Arrays.fill(out, absent);
    if (v == null) return out;
    Tensor t = Consts.tensor(v, rw.weights());
    if (t == null || t.numel() != n) return null;
    return t.toDoubleArray();
  }

  // batch_norm(conv2d(x, w, b), mean, var, g, beta) -> conv2d(x, w * s, (b - mean) * s + beta), s = g / sqrt(var + eps);
  // the same for linear(x, w, b) with a 2-D result, whose dim 1 is the output feature
  static final RewritePattern LAYER_BN = RewritePattern.of("layer-batch-norm", Set.of("nn.batch_norm"), (bn, rw) -> {
    Node layer = soleProducer(bn.operand(0), NnOps.CONV2D, LinalgOps.LINEAR);
    if (layer == null) return false;
    if (layer.op() == LinalgOps.LINEAR && ((TensorType) layer.result().type()).rank() != 2) return false;
    Layer l = Layer.of(layer, rw);
    if (l == null) return false;
    int o = l.outChannels();
    double[] mean = vector(bn.operand(1), o, rw, 0), var = vector(bn.operand(2), o, rw, 1);
    double[] gamma = vector(bn.numOperands() > 3 ? bn.operand(3) : null, o, rw, 1);
    double[] beta = vector(bn.numOperands() > 4 ? bn.operand(4) : null, o, rw, 0);
    if (mean == null || var == null || gamma == null || beta == null) return false;
    double eps = bn.attrFloat("eps");
    double[] s = new double[o], b = new double[o];
    for (int c = 0; c < o; c++) {
      s[c] = gamma[c] / Math.sqrt(var[c] + eps);
      b[c] = (l.bias()[c] - mean[c]) * s[c] + beta[c];
    }
    return l.rebuild(bn, s, b, rw);
  });

  /**
   * The per-channel values of a constant {@code c} broadcast against a conv result [N,O,H,W]: a number, or a tensor
   * whose shape right-aligned to rank 4 is [1,O,1,1] or all ones. Null otherwise.
   */
  private static double[] perChannel(Value c, int o, Rewriter rw) {
    double[] out = new double[o];
    Attr lit = Consts.literal(c);
    if (c.type() == PrimType.FLOAT || c.type() == PrimType.INT) {
      if (!(lit instanceof Attr.Float || lit instanceof Attr.Int)) return null;
      java.util.Arrays.fill(out, lit instanceof Attr.Float f ? f.value() : ((Attr.Int) lit).value());
      return out;
    }
    Tensor t = Consts.tensor(c, rw.weights());
    if (t == null || t.rank() > 4) return null;
    long[] s = new long[4];
    java.util.Arrays.fill(s, 1);
    for (int i = 0; i < t.rank(); i++) s[4 - t.rank() + i] = t.size(i);
    if (s[0] != 1 || s[2] != 1 || s[3] != 1 || s[1] != 1 && s[1] != o) return null;
    double[] v = t.toDoubleArray();
    for (int i = 0; i < o; i++) out[i] = v[v.length == 1 ? 0 : i];
    return out;
  }

  // mul(conv2d(x, w, b), c) -> conv2d(x, w * c, b * c) for a per-channel constant c (either operand order)
  static final RewritePattern CONV_MUL = RewritePattern.of("conv-mul", Set.of("nn.mul"), (m, rw) -> {
    for (int side = 0; side < 2; side++) {
      Node conv = soleProducer(m.operand(side), NnOps.CONV2D);
      if (conv == null || !m.result().type().equals(conv.result().type())) continue;
      Layer l = Layer.of(conv, rw);
      double[] c = l == null ? null : perChannel(m.operand(1 - side), l.outChannels(), rw);
      if (c == null) continue;
      double[] b = new double[c.length];
      for (int i = 0; i < c.length; i++) b[i] = l.bias()[i] * c[i];
      return l.rebuild(m, c, b, rw);
    }
    return false;
  });

  // add(conv2d(x, w, b), c) {alpha} -> conv2d(x, w, b + alpha * c); add(c, conv2d(x, w, b)) {alpha=1} -> conv2d(x, w, b + c)
  static final RewritePattern CONV_ADD = RewritePattern.of("conv-add", Set.of("nn.add"), (a, rw) -> {
    double alpha = a.attrFloat("alpha");
    for (int side = 0; side < 2; side++) {
      if (side == 1 && alpha != 1) return false;
      Node conv = soleProducer(a.operand(side), NnOps.CONV2D);
      if (conv == null || !a.result().type().equals(conv.result().type())) continue;
      Layer l = Layer.of(conv, rw);
      double[] c = l == null ? null : perChannel(a.operand(1 - side), l.outChannels(), rw);
      if (c == null) continue;
      double[] ones = new double[c.length], b = new double[c.length];
      java.util.Arrays.fill(ones, 1);
      for (int i = 0; i < c.length; i++) b[i] = l.bias()[i] + (side == 0 ? alpha : 1) * c[i];
      return l.rebuild(a, ones, b, rw);
    }
    return false;
  });

  public static List<RewritePattern> all() { return new ArrayList<>(List.of(LAYER_BN, CONV_MUL, CONV_ADD)); }
}
