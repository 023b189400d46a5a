package dev.kiln.passes.fold;

import dev.kiln.ir.Attr;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.rewrite.RewritePattern;
import dev.kiln.passes.rewrite.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * op(c0, ..., cn) -> const {value=op(c0, ..., cn)} for a pure op whose operands are all literals or known weights and
 * whose results are small (see {@link ConstantFolder}). Folding creates only {@code const} nodes.
 */
public final class ConstantFoldPattern implements RewritePattern {
  @Override public String name() { return "constant-fold"; }

  @Override public Set<String> roots() { return Set.of(); }

  @Override public boolean matchAndRewrite(Node n, Rewriter rw) {
    if (!ConstantFolder.foldable(n, rw.weights())) return false;
    List<Object> values = ConstantFolder.evaluate(n, rw.weights());
    if (values == null) return false;
    List<Attr> attrs = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      Attr a = ConstantFolder.toAttr(values.get(i), n.result(i).type());
      if (a == null) return false;
      attrs.add(a);
    }
    List<Value> lits = new ArrayList<>();
    for (int i = 0; i < attrs.size(); i++) lits.add(rw.literal(attrs.get(i), n.result(i).type()));
    rw.replace(n, lits);
    return true;
  }
}
