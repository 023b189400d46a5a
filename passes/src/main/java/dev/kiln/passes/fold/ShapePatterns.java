package dev.kiln.passes.fold;

import static dev.kiln.passes.fold.ArithPatterns.forward;

import dev.kiln.ir.Builder;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ops.ShapeOps;
import dev.kiln.passes.rewrite.RewritePattern;
import java.util.List;
import java.util.Set;

/** Movement and no-op tensor ops: reshape chains, permutation chains, and ops that do nothing at inference. */
public final class ShapePatterns {
  private ShapePatterns() {}

  // dropout(x) -> x (eval mode); contiguous(x) -> x when x is already contiguous (same type, so same layout);
  // to(x) {dtype=d} -> x when x is already d
  static final RewritePattern NO_OP = RewritePattern.of("no-op", Set.of("nn.dropout", "nn.contiguous", "nn.to"),
      (n, rw) -> forward(n, n.operand(0), rw));

  // reshape(x) {shape=s} -> x when s is x's own shape (result type equals x's, with every dim known)
  static final RewritePattern RESHAPE_SAME = RewritePattern.of("reshape-same", Set.of("nn.reshape"), (n, rw) -> {
    if (n.numOperands() != 1 || !(n.operand(0).type() instanceof TensorType t) || !t.shape().isRanked()) return false;
    for (Dim d : t.shape().dims()) if (d.isUnknown()) return false;
    return forward(n, n.operand(0), rw);
  });

  // reshape(reshape(x, s1), s2) -> reshape(x, s2): a reshape reads elements in row-major order whatever came before
  static final RewritePattern RESHAPE_RESHAPE = RewritePattern.of("reshape-reshape", Set.of("nn.reshape"), (n, rw) -> {
    Node inner = n.operand(0).definingNode();
    if (n.numOperands() != 1 || inner == null || inner.op() != ShapeOps.RESHAPE || inner.numOperands() != 1) return false;
    Value r = rw.createAs(ShapeOps.RESHAPE, List.of(inner.operand(0)), n.attrs(), n.result().type());
    if (r == null) return false;
    rw.replace(n, r);
    return true;
  });

  // reshape(x, list(a0..an)) -> reshape(x) {shape=[a0..an]} when every ai is a known int, or all but one, which
  // becomes -1: the element count fixes it (TorchScript's x.view(x.size(0), -1) once the other sizes are known)
  static final RewritePattern RESHAPE_LIST = RewritePattern.of("reshape-known-list", Set.of("nn.reshape"), (n, rw) -> {
    if (n.numOperands() != 2) return false;
    Node l = n.operand(1).definingNode();
    long[] shape;
    if (l != null && l.op() == dev.kiln.ir.ops.PrimOps.LIST) {
      shape = new long[l.numOperands()];
      int unknown = -1;
      for (int i = 0; i < shape.length; i++) {
        Long k = Consts.knownInt(l.operand(i));
        if (k != null && k >= -1) shape[i] = k;
        else if (k == null && unknown < 0) unknown = i;
        else return false;
      }
      if (unknown >= 0 && !unknownBecomesInferred(shape, unknown, l.operand(unknown), n.operand(0))) return false;
    } else if (Consts.literal(n.operand(1)) instanceof dev.kiln.ir.Attr.Ints known) {
      shape = known.toArray();
    } else {
      return false;
    }
    Node r;
    try {
      r = rw.create(ShapeOps.RESHAPE, List.of(n.operand(0)), Builder.attrs("shape", shape));
    } catch (dev.kiln.ir.TypeError e) {
      return false;
    }
    if (!dev.kiln.passes.rewrite.Rewriter.canReplace(n.result(), r.result())) {
      rw.erase(r);
      return false;
    }
    rw.replace(n, r.result());
    return true;
  });

  /**
   * Puts -1 at {@code shape[unknown]} (a size known only at run time) when the others determine it. With a -1
   * already in the list, that works when the unknown is {@code size(x, d)} of the tensor being reshaped and x's
   * other dims are static: then the old -1 is numel(x) / size(x, d) / (the known sizes), a static number
   * ({@code x.view(x.size(0), -1)} on [N,2,3] is {@code reshape {shape=[-1,6]}}).
   */
  private static boolean unknownBecomesInferred(long[] shape, int unknown, Value size, Value x) {
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < shape.length; i++) {
      if (i == unknown) continue;
      if (shape[i] == 0) return false;
      if (shape[i] == -1) inferred = i;
      else known *= shape[i];
    }
    if (inferred >= 0) {
      Node sz = size.definingNode();
      if (sz == null || sz.op() != dev.kiln.ir.ops.PrimOps.SIZE || sz.operand(0) != x || !(x.type() instanceof TensorType t)
          || !t.shape().isRanked() || t.rank() == 0) return false;
      int d = (int) (sz.attrInt("dim") < 0 ? sz.attrInt("dim") + t.rank() : sz.attrInt("dim"));
      long rest = 1;
      for (int i = 0; i < t.rank(); i++) {
        if (i == d) continue;
        if (!t.shape().dim(i).isStatic()) return false;
        rest *= t.shape().dim(i).size();
      }
      if (known == 0 || rest % known != 0) return false;
      shape[inferred] = rest / known;
    }
    shape[unknown] = -1;
    return true;
  }

  /** The permutation a permute or transpose applies (result dim i is input dim p[i]), or null. */
  static long[] permutation(Node n) {
    if (!(n.operand(0).type() instanceof TensorType t) || !t.shape().isRanked()) return null;
    int rank = t.rank();
    long[] p = new long[rank];
    for (int i = 0; i < rank; i++) p[i] = i;
    if (n.op() == ShapeOps.TRANSPOSE) {
      if (rank == 0) return p;
      int a = norm(n.attrInt("dim0"), rank), b = norm(n.attrInt("dim1"), rank);
      p[a] = b;
      p[b] = a;
      return p;
    }
    if (n.op() != ShapeOps.PERMUTE) return null;
    long[] d = n.attrInts("dims");
    for (int i = 0; i < rank; i++) p[i] = norm(d[i], rank);
    return p;
  }

  private static int norm(long d, int rank) { return (int) (d < 0 ? d + rank : d); }

  private static boolean isIdentity(long[] p) {
    for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
    return true;
  }

  // permute(x, p) -> x when p is the identity (also transpose(x, d, d))
  static final RewritePattern PERMUTE_IDENTITY = RewritePattern.of("permute-identity", Set.of("nn.permute", "nn.transpose"), (n, rw) -> {
    long[] p = permutation(n);
    return p != null && isIdentity(p) && forward(n, n.operand(0), rw);
  });

  // permute(permute(x, p1), p2) -> permute(x, q) with q[i] = p1[p2[i]]; transposes are permutations too, so
  // transpose(transpose(x, a, b), a, b) -> x
  static final RewritePattern PERMUTE_PERMUTE = RewritePattern.of("permute-permute", Set.of("nn.permute", "nn.transpose"), (n, rw) -> {
    Node inner = n.operand(0).definingNode();
    if (inner == null || inner.op() != ShapeOps.PERMUTE && inner.op() != ShapeOps.TRANSPOSE) return false;
    long[] p1 = permutation(inner), p2 = permutation(n);
    if (p1 == null || p2 == null) return false;
    long[] q = new long[p2.length];
    for (int i = 0; i < q.length; i++) q[i] = p1[(int) p2[i]];
    Value x = inner.operand(0);
    if (isIdentity(q)) return forward(n, x, rw);
    Value r = rw.createAs(ShapeOps.PERMUTE, List.of(x), Builder.attrs("dims", q), n.result().type());
    if (r == null) return false;
    rw.replace(n, r);
    return true;
  });

  public static List<RewritePattern> all() { return List.of(NO_OP, RESHAPE_LIST, RESHAPE_SAME, RESHAPE_RESHAPE, PERMUTE_IDENTITY, PERMUTE_PERMUTE); }
}
