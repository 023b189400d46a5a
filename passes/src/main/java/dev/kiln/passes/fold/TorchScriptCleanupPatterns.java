package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Block;
import dev.kiln.ir.Node;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.ir.ListType;
import dev.kiln.ir.ops.ControlOps;
import dev.kiln.ir.ops.PrimOps;
import dev.kiln.passes.rewrite.IrCloner;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.rewrite.Rewriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What TorchScript leaves behind once shapes and constants are known: tuples and lists built only to be taken apart,
 * size queries on static dims, and branches on known conditions. Scalar arithmetic and comparisons on known values
 * are folded by {@link ConstantFoldPattern}.
 */
public final class TorchScriptCleanupPatterns {
  private TorchScriptCleanupPatterns() {}

  private static Node producer(Value v, dev.kiln.ir.OpDef op) {
    Node d = v.definingNode();
    return d != null && d.op() == op ? d : null;
  }

  /** Replaces every result of {@code n} by the given values, when each may stand for its result. */
  private static boolean forwardAll(Node n, List<Value> vs, Rewriter rw) {
    if (vs.size() != n.results().size()) return false;
    for (int i = 0; i < vs.size(); i++) if (!Rewriter.canReplace(n.result(i), vs.get(i))) return false;
    rw.replace(n, vs);
    return true;
  }

  // tuple_get(tuple(a0..an), i) -> ai
  static final RewritePattern TUPLE_GET = RewritePattern.of("tuple-get", Set.of("prim.tuple_get"), (n, rw) -> {
    Node t = producer(n.operand(0), PrimOps.TUPLE);
    long i = n.attrInt("index");
    return t != null && i >= 0 && i < t.numOperands() && forwardAll(n, List.of(t.operand((int) i)), rw);
  });

  // unpack(tuple(a0..an)) -> a0..an
  static final RewritePattern TUPLE_UNPACK = RewritePattern.of("tuple-unpack", Set.of("prim.unpack"), (n, rw) -> {
    Node t = producer(n.operand(0), PrimOps.TUPLE);
    return t != null && forwardAll(n, t.operands(), rw);
  });

  // list_get(list(a0..an), i) -> ai for a known i (negative i counts from the end)
  static final RewritePattern LIST_GET = RewritePattern.of("list-get", Set.of("prim.list_get"), (n, rw) -> {
    Node l = producer(n.operand(0), PrimOps.LIST);
    Long i = Consts.knownInt(n.operand(1));
    if (l == null || i == null) return false;
    long k = i < 0 ? i + l.numOperands() : i;
    return k >= 0 && k < l.numOperands() && forwardAll(n, List.of(l.operand((int) k)), rw);
  });

  // list_unpack(list(a0..an)) {n=n+1} -> a0..an
  static final RewritePattern LIST_UNPACK = RewritePattern.of("list-unpack", Set.of("prim.list_unpack"), (n, rw) -> {
    Node l = producer(n.operand(0), PrimOps.LIST);
    return l != null && l.numOperands() == n.results().size() && forwardAll(n, l.operands(), rw);
  });

  // len(list(a0..an)) -> n+1
  static final RewritePattern LIST_LEN = RewritePattern.of("list-len", Set.of("prim.len"), (n, rw) -> {
    Node l = producer(n.operand(0), PrimOps.LIST);
    if (l == null) return false;
    rw.replace(n, rw.literal(Attr.of((long) l.numOperands()), PrimType.INT));
    return true;
  });

  private static Shape shapeOf(Value v) { return v.type() instanceof TensorType t ? t.shape() : null; }

  // size(x) {dim=d} -> the size when dim d of x is static
  static final RewritePattern SIZE = RewritePattern.of("static-size", Set.of("prim.size"), (n, rw) -> {
    Shape s = shapeOf(n.operand(0));
    if (s == null || !s.isRanked() || s.rank() == 0) return false;
    long d = n.attrInt("dim");
    if (d < -s.rank() || d >= s.rank() || !s.dim((int) d).isStatic()) return false;
    rw.replace(n, rw.literal(Attr.of(s.dim((int) d).size()), PrimType.INT));
    return true;
  });

  // shape(x) -> [d0,...] when every dim is static; rank(x) -> r when ranked; numel(x) -> product when static
  static final RewritePattern SHAPE_QUERIES = RewritePattern.of("static-shape", Set.of("prim.shape", "prim.rank", "prim.numel"), (n, rw) -> {
    Shape s = shapeOf(n.operand(0));
    if (s == null || !s.isRanked()) return false;
    Value lit;
    switch (n.op().name()) {
      case "prim.rank" -> lit = rw.literal(Attr.of((long) s.rank()), PrimType.INT);
      case "prim.numel" -> {
        if (!s.isStatic()) return false;
        lit = rw.literal(Attr.of(s.numel()), PrimType.INT);
      }
      default -> {
        if (!s.isStatic()) return false;
        lit = rw.literal(Attr.ints(s.sizes()), new ListType(PrimType.INT));
      }
    }
    rw.replace(n, lit);
    return true;
  });

  // if(true) {A; yield(a)} {B; yield(b)} -> A; a   (and the else block for false)
  static final RewritePattern KNOWN_IF = RewritePattern.of("known-if", Set.of("if"), (n, rw) -> {
    Boolean c = Consts.knownBool(n.operand(0));
    if (c == null) return false;
    Block taken = n.block(c ? 0 : 1);
    Node yield = taken.terminator();
    if (yield == null || yield.op() != ControlOps.YIELD || yield.numOperands() != n.results().size()) return false;
    Map<Value, Value> map = new LinkedHashMap<>();
    for (Node m : taken.nodes()) {
      if (m == yield) break;
      n.block().insertBefore(n, rw.created(IrCloner.clone(m, map)));
    }
    List<Value> out = new ArrayList<>();
    for (Value v : yield.operands()) out.add(map.getOrDefault(v, v));
    for (int i = 0; i < out.size(); i++)
      if (!Rewriter.canReplace(n.result(i), out.get(i))) throw new IllegalStateException(n.describe() + ": yield does not fit its result");
    rw.replace(n, out);
    return true;
  });

  public static List<RewritePattern> all() {
    return List.of(TUPLE_GET, TUPLE_UNPACK, LIST_GET, LIST_UNPACK, LIST_LEN, SIZE, SHAPE_QUERIES, KNOWN_IF);
  }
}
