package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.rewrite.Rewriter;
import java.util.List;
import java.util.Set;

/**
 * Algebraic identities of tensor ({@code nn.*}) and scalar ({@code prim.*}) arithmetic. Each applies only when the
 * result has exactly the type of the operand it is replaced by, so the constant neither broadcasts the other
 * operand to a larger shape nor promotes its dtype.
 */
public final class ArithPatterns {
  private ArithPatterns() {}

  /** Replaces {@code root} by {@code x} when their types are equal. */
  static boolean forward(Node root, Value x, Rewriter rw) {
    if (!root.result().type().equals(x.type())) return false;
    rw.replace(root, x);
    return true;
  }

  private static boolean alphaIs(Node n, double a) {
    return n.attr("alpha") instanceof Attr.Int i ? i.value() == a : n.attr("alpha") instanceof Attr.Float f && f.value() == a;
  }

  // x * 1 -> x and 1 * x -> x (nn.mul, prim.mul)
  static final RewritePattern MUL_ONE = RewritePattern.of("mul-by-one", Set.of("nn.mul", "prim.mul"), (n, rw) ->
      Consts.isSplat(n.operand(1), 1) && forward(n, n.operand(0), rw) || Consts.isSplat(n.operand(0), 1) && forward(n, n.operand(1), rw));

  // add(x, 0) {alpha} -> x (x + alpha*0); add(0, x) {alpha=1} -> x; prim.add likewise
  static final RewritePattern ADD_ZERO = RewritePattern.of("add-zero", Set.of("nn.add", "prim.add"), (n, rw) ->
      Consts.isSplat(n.operand(1), 0) && forward(n, n.operand(0), rw)
          || Consts.isSplat(n.operand(0), 0) && (n.op().name().equals("prim.add") || alphaIs(n, 1)) && forward(n, n.operand(1), rw));

  // sub(x, 0) {alpha} -> x (x - alpha*0); prim.sub(x, 0) -> x
  static final RewritePattern SUB_ZERO = RewritePattern.of("sub-zero", Set.of("nn.sub", "prim.sub"), (n, rw) ->
      Consts.isSplat(n.operand(1), 0) && forward(n, n.operand(0), rw));

  // x / 1 -> x for true division (floor or trunc of x / 1 is x only for integer x, where the types show it);
  // prim.floordiv(x, 1) -> x for int x (a float x changes type or value, and the type check refuses it)
  static final RewritePattern DIV_ONE = RewritePattern.of("div-by-one", Set.of("nn.div", "prim.floordiv"), (n, rw) -> {
    if (!Consts.isSplat(n.operand(1), 1)) return false;
    boolean rounds = n.op().name().equals("prim.floordiv") || !n.attrIsNone("rounding_mode");
    if (rounds && (n.operand(0).type() instanceof dev.kiln.ir.TensorType t ? t.dtype().isFloat() : n.operand(0).type() != dev.kiln.ir.PrimType.INT))
      return false;
    return forward(n, n.operand(0), rw);
  });

  public static List<RewritePattern> all() { return List.of(MUL_ONE, ADD_ZERO, SUB_ZERO, DIV_ONE); }
}
