package dev.kiln.runtime.exec;

import dev.kiln.ir.Dim;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Type;
import dev.kiln.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Binds a caller's tensors to a signature before anything runs, so a mistake is reported with the input's name and
 * what was expected instead of surfacing inside a kernel (or, for generated code, as a wrong answer). A symbolic dim
 * such as {@code N} takes its size from the first input that has it; every later use must agree. Parameters of type
 * int, float or bool take a one-element tensor.
 */
final class InputCheck {
  private InputCheck() {}

  /** @return one run-time value per input, in signature order */
  static List<Object> bind(Signature sig, Map<String, Tensor> named) {
    if (named == null) throw new IllegalArgumentException("inputs: null; the model takes " + inputs(sig));
    for (String k : named.keySet())
      if (sig.inputs().stream().noneMatch(s -> s.name().equals(k)))
        throw new IllegalArgumentException("unknown input \"" + k + "\"; the model takes " + inputs(sig));
    List<Tensor> ordered = new ArrayList<>();
    for (TensorSpec s : sig.inputs()) {
      if (!named.containsKey(s.name()))
        throw new IllegalArgumentException("missing input \"" + s.name() + "\" (" + s.type().text() + "); the model takes " + inputs(sig));
      ordered.add(named.get(s.name()));
    }
    return check(sig, ordered);
  }

  /** Positional form: one tensor per input, in order. */
  static List<Object> bind(Signature sig, Tensor[] positional) {
    if (positional == null || positional.length != sig.inputs().size())
      throw new IllegalArgumentException("the model takes " + sig.inputs().size() + " input" + (sig.inputs().size() == 1 ? "" : "s")
          + " " + inputs(sig) + ", got " + (positional == null ? 0 : positional.length));
    return check(sig, java.util.Arrays.asList(positional.clone()));
  }

  private static List<Object> check(Signature sig, List<Tensor> tensors) {
    Map<String, Long> symbols = new HashMap<>();
    Map<String, String> boundBy = new HashMap<>();
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < tensors.size(); i++) {
      TensorSpec s = sig.inputs().get(i);
      Tensor t = tensors.get(i);
      String what = "input \"" + s.name() + "\"";
      if (t == null) throw new IllegalArgumentException(what + ": null, expected " + s.type().text());
      out.add(convert(s, t, what, symbols, boundBy));
    }
    return out;
  }

  private static Object convert(TensorSpec s, Tensor t, String what, Map<String, Long> symbols, Map<String, String> boundBy) {
    Type want = s.type();
    String got = t.dtype().text() + Shape.sizesToString(t.shape());
    if (want instanceof TensorType tt) {
      String prefix = what + ": expected " + tt.text() + ", got " + got;
      if (tt.dtype() != t.dtype()) throw new IllegalArgumentException(prefix + " (dtype " + t.dtype() + ", expected " + tt.dtype() + ")");
      if (!tt.shape().isRanked()) return t;
      List<Dim> dims = tt.shape().dims();
      if (dims.size() != t.rank()) throw new IllegalArgumentException(prefix + " (rank " + t.rank() + ", expected " + dims.size() + ")");
      for (int d = 0; d < dims.size(); d++) {
        Dim dim = dims.get(d);
        long size = t.size(d);
        if (dim.isStatic() && dim.size() != size)
          throw new IllegalArgumentException(prefix + " (dim " + d + " is " + size + ", expected " + dim.size() + ")");
        if (dim.isSymbolic()) {
          Long prev = symbols.putIfAbsent(dim.symbol(), size);
          if (prev == null) boundBy.put(dim.symbol(), s.name());
          else if (prev != size)
            throw new IllegalArgumentException(prefix + " (dim " + d + " is " + size + ", but " + dim.symbol() + " is " + prev
                + " from input \"" + boundBy.get(dim.symbol()) + "\")");
        }
      }
      return t;
    }
    if (want instanceof PrimType p && (p == PrimType.INT || p == PrimType.FLOAT || p == PrimType.BOOL)) {
      if (t.numel() != 1) throw new IllegalArgumentException(what + ": expected one " + p.text() + " (a one-element tensor), got " + got);
      return switch (p) {
        case INT -> Long.valueOf(t.longAt(0));
        case FLOAT -> Double.valueOf(t.doubleAt(0));
        default -> Boolean.valueOf(t.longAt(0) != 0);
      };
    }
    throw new IllegalArgumentException(what + ": has type " + want.text() + ", which cannot be passed as a tensor");
  }

  private static String inputs(Signature sig) {
    return "(" + String.join(", ", sig.inputs().stream().map(TensorSpec::toString).toList()) + ")";
  }
}
