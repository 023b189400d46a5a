package dev.kiln.passes.quant;

import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import dev.kiln.passes.fold.Consts;

/**
 * Names of quantizable layers, as the user writes them in {@code keep=} and as reports print them: the module path
 * of the layer's weight ({@code fc1} for the weight {@code fc1.weight}, {@code lstm} for {@code lstm._flat_weights.0}),
 * or the name of the layer's first result when its weight is not a named constant.
 */
public final class Layers {
  private Layers() {}

  /** The weight operand of a layer node: operand 1 for linear/conv/matmul, the first weight (operand 3) of an LSTM. */
  static Value weightOf(Node n) {
    int i = n.op().name().equals("nn.lstm") ? 3 : 1;
    return n.numOperands() > i ? n.operand(i) : null;
  }

  /** The layer name of {@code n} (never null). */
  public static String name(Node n) {
    Value w = weightOf(n);
    String name = w == null ? null : Consts.weightName(w);
    if (name != null) {
      if (name.endsWith(".qi8")) name = name.substring(0, name.length() - ".qi8".length());
      int flat = name.indexOf("._flat_weights");
      if (flat > 0) return name.substring(0, flat);
      for (String suffix : new String[] {".weight", ".folded"})
        while (name.endsWith(suffix)) name = name.substring(0, name.length() - suffix.length());
      return name.replace(".weight", "");
    }
    return n.result(0).displayName();
  }
}
