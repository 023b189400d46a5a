package dev.kiln.passes.shapes;

import dev.kiln.ir.Block;
import dev.kiln.ir.Dim;
import dev.kiln.ir.Graph;
import dev.kiln.ir.ListType;
import dev.kiln.ir.Node;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import dev.kiln.passes.Pass;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code specialize=N:1}: binds symbolic dims to sizes. Every type naming a bound symbol (parameters, results, block
 * arguments) gets the size instead, then shape inference runs so that what depended on it becomes static too; a
 * later {@code fold} then folds size queries on it. Several bindings are separated by {@code ;}
 * ({@code specialize=N:1;T:16}). Without bindings the pass only re-infers shapes.
 */
public final class SpecializePass implements Pass {
  private final Map<String, Long> bindings;

  public SpecializePass() { this(Map.of()); }

  private SpecializePass(Map<String, Long> bindings) { this.bindings = Map.copyOf(bindings); }

  @Override public String name() { return "specialize"; }

  @Override public String summary() { return "bind symbolic dims to sizes (specialize=N:1) and re-infer shapes"; }

  @Override public String optionsHelp() { return "SYM:SIZE[;SYM:SIZE...], e.g. N:1 binds the batch N to 1"; }

  /** The bindings this instance applies, symbol to size. */
  public Map<String, Long> bindings() { return bindings; }

  @Override public Pass withOptions(String value) {
    Map<String, Long> b = new LinkedHashMap<>();
    for (String part : value.split(";")) {
      String s = part.strip();
      if (s.isEmpty()) continue;
      int colon = s.indexOf(':');
      String sym = colon < 0 ? "" : s.substring(0, colon).strip();
      long size;
      try {
        size = colon < 0 ? -1 : Long.parseLong(s.substring(colon + 1).strip());
      } catch (NumberFormatException e) {
        size = -1;
      }
      if (!sym.matches("[A-Za-z_][A-Za-z0-9_.]*") || size < 0)
        throw new IllegalArgumentException("specialize: expected SYMBOL:SIZE with a non-negative size, got '" + s + "'");
      b.put(sym, size);
    }
    return new SpecializePass(b);
  }

  @Override public Graph run(Graph g) {
    if (!bindings.isEmpty()) rewrite(g.body());
    ShapeInference.refine(g);
    return g;
  }

  private void rewrite(Block b) {
    for (Value a : b.args()) a.setType(bind(a.type()));
    for (Node n : b.nodes()) {
      for (Value r : n.results()) r.setType(bind(r.type()));
      for (Block inner : n.blocks()) rewrite(inner);
    }
  }

  private Type bind(Type t) {
    return switch (t) {
      case TensorType tt when tt.shape().isRanked() -> {
        List<Dim> out = new ArrayList<>();
        for (Dim d : tt.shape().dims()) out.add(d.isSymbolic() && bindings.containsKey(d.symbol()) ? Dim.of(bindings.get(d.symbol())) : d);
        yield tt.withShape(Shape.of(out));
      }
      case ListType l -> new ListType(bind(l.element()));
      case OptionalType o -> new OptionalType(bind(o.element()));
      case TupleType tu -> new TupleType(tu.elements().stream().map(this::bind).toList());
      default -> t;
    };
  }
}
