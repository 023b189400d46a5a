package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.PyTuple;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.frontend.script.FunctionDef;
import dev.kiln.frontend.script.TypeExpr;
import dev.kiln.ir.Graph;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Lowers one entry function to a whole graph: binds inputs, inlines the body, returns its result. */
final class GraphLowering {
  private GraphLowering() {}

  static TorchScriptImporter.ImportedModel lower(String name, FunctionDef fn, CodeIndex.Source src, String where,
      TorchObject self, CodeIndex index, ModuleAttrs modules, List<TensorType> inputTypes,
      Function<String, OpLowering> ops) {
    Graph g = new Graph(name);
    Lowering cx = new Lowering(g, index, ops, modules);
    Frame f = new Frame(where, src);
    cx.frame = f;
    cx.pos = fn.pos();
    List<FunctionDef.Param> params = fn.params();
    int first = 0;
    if (self != null) {
      if (params.isEmpty()) throw cx.error("forward has no self parameter");
      f.vars.put(params.getFirst().name(), self);
      first = 1;
    }
    int k = 0;
    for (int i = first; i < params.size(); i++) {
      FunctionDef.Param p = params.get(i);
      if (k < inputTypes.size()) {
        if (p.type() != null && !isTensorType(p.type()))
          throw cx.error("parameter '" + p.name() + "' is " + p.type() + "; only tensor inputs can be given");
        f.vars.put(p.name(), g.addParam(inputTypes.get(k++), p.name()));
      } else if (p.defaultValue() != null) {
        f.vars.put(p.name(), cx.exprs.constant(p.defaultValue()));
      } else {
        throw cx.error(where + " takes " + (params.size() - first) + " inputs, but " + inputTypes.size() + " input types were given");
      }
    }
    if (k < inputTypes.size())
      throw cx.error(where + " takes " + k + " inputs, but " + inputTypes.size() + " input types were given");
    cx.depth = 1;
    cx.stmts.block(fn.body(), false);
    if (f.terminated) throw cx.error("the model raises on every path for these input types");
    Object result = f.returned ? f.vars.get(Frame.RETURN) : null;
    List<Value> outs = new ArrayList<>();
    for (Object r : result instanceof PyTuple t ? t.items() : java.util.Arrays.asList(result)) {
      Value v = cx.materialize(r);
      if (v == null) v = cx.scalar(r, "the result");
      outs.add(v);
    }
    cx.builder.ret(outs.toArray(Value[]::new));
    return new TorchScriptImporter.ImportedModel(g, cx.weights.weights());
  }

  private static boolean isTensorType(TypeExpr t) {
    return switch (t) {
      case TypeExpr.Primitive p -> p.kind() == TypeExpr.Prim.TENSOR;
      case TypeExpr.OptionalOf o -> isTensorType(o.element());
      default -> false;
    };
  }
}
